"""Anchor of bench/chat_load.py: a bare `websockets` echo server.

python -m bench.chat_echo PORT
"""

import asyncio
import sys

import websockets


async def echo(socket):
    async for frame in socket:
        await socket.send(frame)


async def main(port: int) -> None:
    async with websockets.serve(echo, "127.0.0.1", port):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
