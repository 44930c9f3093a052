<?php
// Echo handler of the integration tests (haproxy-it) in PHP: every argument of message "echo" comes back as
// a txn variable of the same name, set with the setter that the name's prefix (up to the first "_") names:
// int64_neg -> spoa\set_var_int64, bin_c -> spoa\set_var_bin, null_missing -> spoa\set_var_null, ...
// A second variable <name>_lt holds the PHP type the agent handed to the handler (get_debug_type()).

spoa\register_message('echo', function (array $args): void {
    $txn = spoa\SCOPE_TXN;
    foreach ($args as $arg) {
        $name = $arg['name'];
        $value = $arg['value'];
        $prefix = explode('_', $name, 2)[0];
        match ($prefix) {
            'null' => spoa\set_var_null($name, $txn),
            'bool' => spoa\set_var_boolean($name, $txn, $value),
            'int32' => spoa\set_var_int32($name, $txn, $value),
            'uint32' => spoa\set_var_uint32($name, $txn, $value),
            'int64' => spoa\set_var_int64($name, $txn, $value),
            'uint64' => spoa\set_var_uint64($name, $txn, $value),
            'ipv4' => spoa\set_var_ipv4($name, $txn, $value),
            'ipv6' => spoa\set_var_ipv6($name, $txn, $value),
            'str' => spoa\set_var_str($name, $txn, $value),
            'bin' => spoa\set_var_bin($name, $txn, $value),
            default => throw new ValueError("echo: argument '$name' has no known type prefix"),
        };
        spoa\set_var_str($name . '_lt', $txn, get_debug_type($value));
    }
});
