# An empty handler for the engine benchmark: the cost of a Python call (arguments included) with no work.
import spoa


def check_client_ip(args):
    pass


spoa.register_message("check-client-ip", check_client_ip)
