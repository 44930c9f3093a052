# An async def handler that waits 5 ms without holding a thread (await asyncio.sleep, standing for a
# network lookup), then runs the standard handler's eleven setters (issue 23's benchmark).
import asyncio

import spoa
from standard_noprint import check_client_ip as set_standard_variables


async def check_client_ip(args):
    await asyncio.sleep(0.005)
    set_standard_variables(args)


spoa.register_message("check-client-ip", check_client_ip)
