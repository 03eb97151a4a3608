"""Subprocesses: run the current interpreter as a child process, read its stdout through
a pipe, feed it stdin, and wait for its exit code, all without blocking the loop.

Shows: asyncio.create_subprocess_exec, Process.communicate, Process.wait, returncode.
Expected output ends with ``child exited with 3``.
"""
import asyncio
import sys


async def main() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; print(sys.stdin.read().strip()[::-1])",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate(b"loopscope\n")
    print(f"child reversed: {out.decode().strip()}")

    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "raise SystemExit(3)")
    code = await proc.wait()
    print(f"child exited with {code}")


if __name__ == "__main__":
    asyncio.run(main())
