"""Distributed-mode settings: clear errors for what is missing or wrong, before anything starts."""

import pytest

from heygem.cli import build_parser
from heygem.config import Settings
from heygem.distributed.broker import check_broker_url
from heygem.errors import HeyGemError
from heygem.service.storage import open_store
from heygem.service.store import SqliteJobStore


def test_the_urls_come_from_the_environment():
    settings = Settings.from_env({"HEYGEM_BROKER_URL": "redis://h:6379/0", "HEYGEM_DATABASE_URL": "postgresql://u@h/db"})
    assert settings.broker_url == "redis://h:6379/0" and settings.database_url == "postgresql://u@h/db"
    assert Settings.from_env({}).broker_url is None and Settings.from_env({}).database_url is None


def test_worker_without_a_broker_says_what_to_set(tmp_path):
    parser, modules = build_parser()
    args = parser.parse_args(["--data-dir", str(tmp_path), "worker", "--concurrency", "2"])
    with pytest.raises(HeyGemError, match="set HEYGEM_BROKER_URL=redis://"):
        modules["worker"].run(args, Settings(data_dir=tmp_path))


def test_wrong_urls_are_refused_by_name(tmp_path):
    with pytest.raises(HeyGemError, match="must start with postgresql://"):
        open_store(Settings(data_dir=tmp_path, database_url="mysql://u@h/db"))
    with pytest.raises(HeyGemError, match="must be a Redis URL"):
        check_broker_url("amqp://guest@h//")
    store = open_store(Settings(data_dir=tmp_path))  # no URL: the embedded SQLite file
    assert isinstance(store, SqliteJobStore) and (tmp_path / "jobs.sqlite3").exists()
    store.close()


def test_an_unreachable_database_is_named_without_its_password(tmp_path):
    from servers import free_port

    pytest.importorskip("psycopg")
    url = f"postgresql://heygem:s3cret@127.0.0.1:{free_port()}/heygem"
    with pytest.raises(HeyGemError, match=r"cannot connect to the job database \(postgresql://127\.0\.0\.1") as err:
        open_store(Settings(data_dir=tmp_path, database_url=url))
    assert "s3cret" not in str(err.value)
