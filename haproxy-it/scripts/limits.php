<?php
// Frame-limit handler of the integration tests (haproxy-it) in PHP. Message "limits" with size (int) and mode:
//   mode "set":  set txn big = payload(size); if the agent refuses it, the call goes on and records the
//                error: ok = false and err = the error text (else ok = true).
//   mode "fill": try sizes size, size-1, ... until the agent accepts one: the largest variable that fits.
// payload(n) is "0123456789abcdef" repeated and cut to n bytes (the test recomputes its SHA-1).

function payload(int $n): string {
    return substr(str_repeat('0123456789abcdef', intdiv($n, 16) + 1), 0, $n);
}

spoa\register_message('limits', function (array $args): void {
    $txn = spoa\SCOPE_TXN;
    $values = array_column($args, 'value', 'name');
    $size = $values['size'];
    if ($values['mode'] === 'fill') {
        for ($n = $size; $n >= 0; --$n) {
            try {
                spoa\set_var_str('big', $txn, payload($n));
                return;
            } catch (spoa\Exception $e) {  // the refusal is what this mode looks for
            }
        }
        throw new RuntimeException('limits: not even an empty variable fits');
    }
    try {
        spoa\set_var_str('big', $txn, payload($size));
        spoa\set_var_boolean('ok', $txn, true);
    } catch (spoa\Exception $e) {  // recorded for the test to see
        spoa\set_var_boolean('ok', $txn, false);
        spoa\set_var_str('err', $txn, substr(get_class($e) . ': ' . $e->getMessage(), 0, 200));
    }
});
