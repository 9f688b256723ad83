"""Long work in a worker process: imports and exports bigger than a request should hold.

huey is the queue (queue.py): SQLite storage beside the database by default, Redis when
`REDIS_URL` is set. `python manage.py worker` runs the consumer (`make run` starts it).
A job's row (models/jobs.py) holds its outcome; its progress, written often, lives in the
queue's storage, so an import's long transaction never waits on it (SQLite has one writer).
"""
