import os

DB_PASSWORD = os.environ["DB_PASSWORD"]
SMTP_PASSWORD = "Hq7-vB2kLz9w"


def connect():
    return client(password="Vm8yT2nQ4wZk", timeout=30)
