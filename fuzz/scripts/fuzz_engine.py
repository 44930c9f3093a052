# Script of the python_engine fuzz target: touches every argument and calls every setter with values
# taken from the arguments (names, values, scopes), so the engine's conversions and the ACK size limit
# see everything a NOTIFY can carry. Setter errors are expected (wrong types, ranges, a full ACK):
# "touch" catches them, "raw" lets them escape. "atouch", "araw" and "aerror" are the same as
# coroutines (`async def`, run on the worker's asyncio loop), setting variables before and after awaits.
import asyncio
import ipaddress

import spoa

SETTERS = [spoa.set_var_boolean, spoa.set_var_int32, spoa.set_var_uint32, spoa.set_var_int64,
           spoa.set_var_uint64, spoa.set_var_ipv4, spoa.set_var_ipv6, spoa.set_var_str, spoa.set_var_bin]


def attempt(fn, *a):
    try:
        fn(*a)
    except Exception:
        pass


def touch(args):
    for i, arg in enumerate(args):
        name, v = arg['name'], arg['value']
        scope = i % 5
        attempt(spoa.set_var_null, name, scope)
        for setter in SETTERS:
            attempt(setter, name, scope, v)
        if isinstance(v, bool):
            attempt(spoa.set_var_boolean, name, spoa.scope_res, not v)
        elif isinstance(v, int):
            attempt(spoa.set_var_int64, name, v, v)  # the value as a scope: mostly invalid
            attempt(spoa.set_var_str, name, scope, str(v))
            attempt(spoa.set_var_ipv4, name, scope, ipaddress.IPv4Address(v & 0xFFFFFFFF))
            attempt(spoa.set_var_ipv6, name, scope, ipaddress.IPv6Address(v & (2**128 - 1)))
        elif isinstance(v, (str, bytes)):
            attempt(spoa.set_var_int32, v if isinstance(v, str) else name, scope, len(v))  # value as a name
            attempt(spoa.set_var_bin, name, scope, v + v)
            attempt(spoa.set_var_str, name, scope, v)
        elif isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            attempt(spoa.set_var_str, name, scope, str(v))
            attempt(spoa.set_var_uint64, name, scope, int(v))


def raw(args):
    for arg in args:
        spoa.set_var_str(arg['name'], spoa.scope_txn, arg['value'])


def fail(args):
    raise RuntimeError('fuzz error with %d arguments' % len(args))


async def atouch(args):
    await asyncio.sleep(0)
    touch(args[:len(args) // 2])
    await asyncio.sleep(0)
    touch(args[len(args) // 2:])


async def araw(args):
    await asyncio.sleep(0)
    raw(args)


async def afail(args):
    for arg in args[:1]:
        spoa.set_var_null(arg['name'], spoa.scope_txn)
    await asyncio.sleep(0)
    fail(args)


spoa.register_message('atouch', atouch)
spoa.register_message('araw', araw)
spoa.register_message('aerror', afail)
spoa.register_message('touch', touch)
spoa.register_message('raw', raw)
spoa.register_message('error', fail)
