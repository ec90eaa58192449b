"""Print the SELinux types of the TCP ports given as arguments, as the loaded policy and local
changes label them (`semanage port --list`): for each port the type of the narrowest range that
holds it - a port the policy names (3142 aptcacher_port_t) before the wide range it is in."""
import subprocess
import sys


def port_types(listing, ports):
    best = {p: ("unreserved_port_t" if p >= 1024 else "reserved_port_t", 1 << 17) for p in ports}
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[1] != "tcp":
            continue
        for item in "".join(fields[2:]).split(","):
            low, dash, high = item.partition("-")
            low, high = int(low), int(high if dash else low)
            for port in ports:
                if low <= port <= high and high - low < best[port][1]:
                    best[port] = (fields[0], high - low)
    return sorted({found[0] for found in best.values()})


if __name__ == "__main__":
    out = subprocess.run(["semanage", "port", "--list", "--noheading"], capture_output=True, text=True, check=True).stdout
    print(" ".join(port_types(out, [int(p) for p in sys.argv[1:]])))
