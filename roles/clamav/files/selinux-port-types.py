"""Print the SELinux types of the TCP ports given as arguments, as the loaded policy and local
changes label them (libsemanage's port list, python3-semanage: what `semanage port --list` prints,
without installing semanage's tools): for each port the type of the narrowest range that holds
it - a port the policy names (3142 aptcacher_port_t) before the wide range it is in."""
import sys


def port_types(records, ports):
    """records: (type, protocol, low, high) tuples."""
    best = {p: ("unreserved_port_t" if p >= 1024 else "reserved_port_t", 1 << 17) for p in ports}
    for setype, proto, low, high in records:
        if proto != "tcp":
            continue
        for port in ports:
            if low <= port <= high and high - low < best[port][1]:
                best[port] = (setype, high - low)
    return sorted({found[0] for found in best.values()})


def policy_ports():
    try:
        import semanage  # python3-semanage, which the selinux role installs
    except ImportError:
        sys.stderr.write("python3-semanage is not installed (the selinux role installs it)\n")
        sys.exit(3)

    handle = semanage.semanage_handle_create()
    if semanage.semanage_connect(handle) < 0:
        sys.exit("cannot connect to the SELinux policy store")
    rc, ports = semanage.semanage_port_list(handle)
    if rc < 0:
        sys.exit("cannot list the policy's ports")
    for port in ports:
        yield (semanage.semanage_context_get_type(semanage.semanage_port_get_con(port)),
               semanage.semanage_port_get_proto_str(semanage.semanage_port_get_proto(port)),
               semanage.semanage_port_get_low(port), semanage.semanage_port_get_high(port))


if __name__ == "__main__":
    print(" ".join(port_types(list(policy_ports()), [int(p) for p in sys.argv[1:]])))
