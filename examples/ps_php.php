<?php
// The standard spoa example in PHP: answers the SPOE message `check-client-ip`.
//
// HAProxy sends it for every HTTP request with the unnamed arguments
//     always_true int(1234) src ipv6(::55) req.fhdr(host)
// (see spoe-ps.conf and haproxy-ps.cfg next to this file). The handler prints what it received and sets
// one variable of every type; with `option var-prefix iprep` HAProxy sees them as txn.iprep.null,
// txn.iprep.boolean, ..., and sess.iprep.ip_score, which haproxy-ps.cfg uses to redirect to /<ip_score>.
//
// Run it with:  spoa -d -f examples/ps_php.php

spoa\register_message('check-client-ip', function (array $args): void {
    // $args is a list of ['name' => ..., 'value' => ...] arrays, in the order of the SPOE `args` line.
    print_r($args);

    $txn = spoa\SCOPE_TXN;
    spoa\set_var_null('null', $txn);
    spoa\set_var_boolean('boolean', $txn, true);
    spoa\set_var_int32('int32', $txn, 1234);
    spoa\set_var_uint32('uint32', $txn, 1234);
    spoa\set_var_int64('int64', $txn, 1234);
    spoa\set_var_uint64('uint64', $txn, 1234);
    spoa\set_var_ipv4('ipv4', $txn, '127.0.0.1');
    spoa\set_var_ipv6('ipv6', $txn, '1::f');
    spoa\set_var_str('str', $txn, '1::f');
    // PHP strings are byte strings: control characters and NUL bytes pass through unchanged.
    spoa\set_var_bin('bin', $txn, "\x01\x02\x00\x03");

    // The score lives in the session, so every request of the connection sees it.
    spoa\set_var_int32('ip_score', spoa\SCOPE_SESS, random_int(1, 100));
});
