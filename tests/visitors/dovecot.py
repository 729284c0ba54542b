"""A real IMAP server for tests: Debian's Dovecot with a throw-away configuration, listening on
127.0.0.1 on a free port, one passwd-file of users and maildirs in a temporary directory."""

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PASSWORD = "imap-test-secret"
USERS = [f"office{number}" for number in range(1, 41)]

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = pd-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot",) if os.access(path, os.X_OK)), None
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            return connection.recv(64).startswith(b"* OK")
    except OSError:
        return False


@contextmanager
def dovecot(binary: str) -> Iterator[int]:
    """Run Dovecot until the block ends; yields its port. Users are USERS, with PASSWORD."""
    root = Path(tempfile.mkdtemp(prefix="pd-dovecot-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        # Dovecot will not keep mail as root: its own unprivileged users do the work.
        user, group, login_user = (
            "dovecot",
            grp.getgrgid(pwd.getpwnam("dovecot").pw_gid).gr_name,
            "dovenull",
        )
    else:
        user = login_user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
    for name in ("run", "state", "mail", "home"):
        (root / name).mkdir()
    if os.geteuid() == 0:
        for name in ("mail", "home"):
            shutil.chown(root / name, user, group)
    (root / "users").write_text("".join(f"{name}:{{PLAIN}}{PASSWORD}\n" for name in USERS))
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(root=root, port=port, user=user, group=group, login_user=login_user)
    )
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while not _greets(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log = root / "dovecot.log"
                output = process.stdout.read().decode() if process.poll() is not None else ""
                raise RuntimeError(
                    f"Dovecot did not start: {output}{log.read_text() if log.exists() else ''}"
                )
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)
