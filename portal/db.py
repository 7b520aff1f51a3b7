"""Database calls from async code that need no thread of their own."""

import functools

from channels.db import database_sync_to_async
from django.db import connection


def pooled_sync_to_async(func):
    """Runs `func` on any thread of the event loop's executor, so that concurrent calls run in
    parallel transactions instead of queueing behind channels' one thread. The thread's
    connection goes back to the pool after each call, whatever happened in it: an executor
    thread outlives no event loop, and a connection left with it stays out of the pool until the
    thread's state is collected (tests, each with its own loop, ran the pool dry that way)."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            connection.close()

    return database_sync_to_async(run, thread_sensitive=False)
