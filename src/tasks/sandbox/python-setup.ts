/**
 * The set-up step that runs first inside the Python sandbox, still holding CAP_SYS_ADMIN in the
 * sandbox's own user namespace (bwrap --cap-add). bubblewrap can give a tmpfs a size but not an
 * inode cap, so this step mounts /tmp and /dev/shm itself with both (`size=`, `nr_inodes=`), then
 * execs setpriv, which drops every capability, empties the bounding set and sets no_new_privs
 * before the resource limits (prlimit) and the runner. The guest never holds a capability.
 *
 * Arguments: tmpBytes tmpInodes shmBytes shmInodes, then the command to exec.
 * Exit code 125 with a message on stderr when a mount fails (the host reports it as a set-up failure).
 */
export const PY_SETUP = String.raw`
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
def mount(target, flags, size, inodes):
    opts = ('size=%d,nr_inodes=%d,mode=1777' % (size, inodes)).encode()
    if libc.mount(b'tmpfs', target.encode(), b'tmpfs', flags, opts) != 0:
        e = ctypes.get_errno()
        sys.stderr.write('rlmkit sandbox set-up: cannot mount %s: %s\n' % (target, os.strerror(e)))
        sys.exit(125)
tmp_bytes, tmp_inodes, shm_bytes, shm_inodes = (int(x) for x in sys.argv[1:5])
mount('/tmp', MS_NOSUID | MS_NODEV, tmp_bytes, tmp_inodes)
mount('/dev/shm', MS_NOSUID | MS_NODEV | MS_NOEXEC, shm_bytes, shm_inodes)
os.chdir('/tmp')
cmd = sys.argv[5:]
os.execv(cmd[0], cmd)
`;
