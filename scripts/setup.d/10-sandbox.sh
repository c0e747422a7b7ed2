# The Python sandbox (src/tasks/sandbox/python.ts): bubblewrap, and from util-linux prlimit (resource
# limits) and setpriv (drops to uid 65534 on the host, and drops every capability inside the sandbox).
apt_ensure bwrap bubblewrap prlimit util-linux setpriv util-linux python3 python3
