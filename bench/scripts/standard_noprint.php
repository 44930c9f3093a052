<?php
// The standard example's handler (examples/ps_php.php) without its print_r, for the engine benchmark.
spoa\register_message('check-client-ip', function (array $args): void {
    spoa\set_var_null('null', spoa\SCOPE_TXN);
    spoa\set_var_boolean('boolean', spoa\SCOPE_TXN, true);
    spoa\set_var_int32('int32', spoa\SCOPE_TXN, 1234);
    spoa\set_var_uint32('uint32', spoa\SCOPE_TXN, 1234);
    spoa\set_var_int64('int64', spoa\SCOPE_TXN, 1234);
    spoa\set_var_uint64('uint64', spoa\SCOPE_TXN, 1234);
    spoa\set_var_ipv4('ipv4', spoa\SCOPE_TXN, '127.0.0.1');
    spoa\set_var_ipv6('ipv6', spoa\SCOPE_TXN, '1::f');
    spoa\set_var_str('str', spoa\SCOPE_TXN, '1::f');
    spoa\set_var_bin('bin', spoa\SCOPE_TXN, "\x01\x02\x00\x03");
    spoa\set_var_int32('ip_score', spoa\SCOPE_SESS, random_int(1, 100));
});
