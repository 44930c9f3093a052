<?php
// Fault handler of the integration tests (haproxy-it) in PHP. Message "fault" with mode, id and ms:
//   "error": sets txn before = id, then throws an exception
//   "slow":  sleeps ms milliseconds, then sets txn slow = id
//   "spin":  sets txn before = id, then loops forever (only the agent's call budget ends it)
//   other:   sets txn ok = id

final class DeliberateFault extends RuntimeException {}

spoa\register_message('fault', function (array $args): void {
    $txn = spoa\SCOPE_TXN;
    $a = array_column($args, 'value', 'name');
    switch ($a['mode']) {
        case 'error':
            spoa\set_var_str('before', $txn, $a['id']);
            throw new DeliberateFault('deliberate fault for ' . $a['id']);
        case 'slow':
            usleep(($a['ms'] ?? 0) * 1000);
            spoa\set_var_str('slow', $txn, $a['id']);
            break;
        case 'spin':
            spoa\set_var_str('before', $txn, $a['id']);
            while (true) {
            }
        default:
            spoa\set_var_str('ok', $txn, $a['id']);
    }
});
