<?php
// Script of the php_engine fuzz target: touches every argument and calls every setter with values taken
// from the arguments (names, values, scopes), so the engine's conversions and the ACK size limit see
// everything a NOTIFY can carry. Setter errors are expected (wrong types, ranges, a full ACK): "touch"
// catches them, "raw" lets them escape.
declare(strict_types=1);

const SETTERS = ['spoa\set_var_boolean', 'spoa\set_var_int32', 'spoa\set_var_uint32', 'spoa\set_var_int64',
                 'spoa\set_var_uint64', 'spoa\set_var_ipv4', 'spoa\set_var_ipv6', 'spoa\set_var_str',
                 'spoa\set_var_bin'];

function attempt(callable $fn, mixed ...$args): void
{
    try {
        $fn(...$args);
    } catch (\Throwable) {
    }
}

spoa\register_message('touch', function (array $args): void {
    foreach ($args as $i => $arg) {
        $name = $arg['name'];
        $v = $arg['value'];
        $scope = $i % 5;
        attempt('spoa\set_var_null', $name, $scope);
        attempt('spoa\unset_var', $name, $scope);
        foreach (SETTERS as $setter) {
            attempt($setter, $name, $scope, $v);
        }
        if (is_bool($v)) {
            attempt('spoa\set_var_boolean', $name, spoa\SCOPE_RES, !$v);
        } elseif (is_int($v)) {
            attempt('spoa\set_var_int64', $name, $v, $v);  // the value as a scope: mostly invalid
            attempt('spoa\set_var_str', $name, $scope, (string)$v);
            attempt('spoa\set_var_ipv4', $name, $scope, long2ip($v & 0xFFFFFFFF));
            attempt('spoa\set_var_uint64', $name, $scope, sprintf('%u', $v));  // unsigned decimal text
        } elseif (is_string($v)) {
            attempt('spoa\set_var_int32', $v, $scope, strlen($v));  // the value as a name
            attempt('spoa\set_var_bin', $name, $scope, $v . $v);
            attempt('spoa\set_var_uint64', $name, $scope, $v);  // decimal text, or not
            attempt('spoa\set_var_ipv4', $name, $scope, $v);    // address text, or not
            attempt('spoa\set_var_ipv6', $name, $scope, $v);
        }
    }
});

spoa\register_message('raw', function (array $args): void {
    foreach ($args as $arg) {
        spoa\set_var_str($arg['name'], spoa\SCOPE_TXN, (string)$arg['value']);
    }
});

spoa\register_message('error', function (array $args): void {
    throw new RuntimeException(sprintf('fuzz error with %d arguments', count($args)));
});
