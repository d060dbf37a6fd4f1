"""Runs a command in a pseudo-terminal and plays a script against it, for CLI tests.

    python3 pty-session.py '<steps as JSON>' command arg...

Steps: ["expect", text] waits until `text` appears in the output after the previous
match; ["send", text] types it; ["wait_exit"] waits for the command to end. Prints one
JSON object: {"ok": bool, "exit_code": int|null, "output": str, "failed_step": int|null}.
"""

import json
import os
import pty
import select
import sys
import time

TIMEOUT = 60.0


def main():
    steps = json.loads(sys.argv[1])
    command = sys.argv[2:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = b""
    seen = 0
    result = {"ok": True, "exit_code": None, "failed_step": None}

    def read_some(deadline):
        nonlocal output
        ready, _, _ = select.select([fd], [], [], max(0.0, min(0.2, deadline - time.time())))
        if not ready:
            return True
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        output += chunk
        return True

    for index, step in enumerate(steps):
        deadline = time.time() + TIMEOUT
        if step[0] == "send":
            os.write(fd, step[1].encode("utf-8"))
        elif step[0] == "expect":
            needle = step[1].encode("utf-8")
            while output.find(needle, seen) == -1:
                if time.time() > deadline or not read_some(deadline):
                    break
            found = output.find(needle, seen)
            if found == -1:
                result.update(ok=False, failed_step=index)
                break
            seen = found + len(needle)
        elif step[0] == "wait_exit":
            while time.time() < deadline:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    result["exit_code"] = os.waitstatus_to_exitcode(status)
                    break
                read_some(deadline)
            else:
                result.update(ok=False, failed_step=index)
                break
    if result["exit_code"] is None:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except OSError:
            pass
    while read_some(time.time() + 0.2):
        if len(output) > 1 << 20:
            break
    result["output"] = output.decode("utf-8", "replace")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
