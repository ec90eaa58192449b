"""Stand-in for ansible-test's pip bootstrap script, whose download host this network does not
reach. It bootstraps pip from the interpreter's own ensurepip, then installs the versions
ansible-test asked for (pip==X, ...) from the package index like the original would."""
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
                      stdout=subprocess.DEVNULL)
# get-pip's own flags (--no-setuptools, --no-wheel) are not pip install options: drop them.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel", "--disable-pip-version-check")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q"] + args))
