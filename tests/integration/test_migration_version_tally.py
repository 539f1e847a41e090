"""Migration j10tly0000010 counts the existing instances per version and status, and its
triggers keep the counts through every kind of write, both ways."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db
from tests.helpers import instances_by_version, signup, version_counts_kept


def test_upgrade_counts_existing_instances_and_downgrade_removes_the_table(app, client, smtp):
    for _ in range(3):
        signup(app.test_client(), smtp)
    before = instances_by_version()
    assert sum(before.values()) == 3 and version_counts_kept() == before
    db.session.remove()
    try:
        downgrade(revision="i9idx0000009")
        assert "version_instance_count" not in inspect(db.engine).get_table_names()
        # Written while the triggers are gone: the upgrade counts them all the same.
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE process_instance SET status = 'cancelled' WHERE id = "
                    "(SELECT min(id) FROM process_instance)"
                )
            )
    finally:
        db.session.remove()
        upgrade()
    after = instances_by_version()
    assert sorted(after.values()) == [1, 2] and version_counts_kept() == after


def test_raw_sql_writes_keep_the_counts(app, client, smtp):
    """The triggers, not the application, keep the counts: a status change, a move to another
    version and a deletion made in plain SQL are counted too."""
    signup(client, smtp)
    signup(app.test_client(), smtp)
    with db.engine.begin() as conn:
        first = conn.execute(text("SELECT min(id) FROM process_instance")).scalar_one()
        version = conn.execute(text("SELECT max(id) FROM process_version")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO process_version (process_id, content_hash, files, spec_json, "
                "deployed_at, deployed_by) SELECT process_id, 'other', files, spec_json, "
                "deployed_at, deployed_by FROM process_version WHERE id = :v"
            ),
            {"v": version},
        )
        other = conn.execute(text("SELECT max(id) FROM process_version")).scalar_one()
        conn.execute(
            text("UPDATE process_instance SET status = 'completed' WHERE id = :i"), {"i": first}
        )
        conn.execute(
            text("UPDATE process_instance SET version_id = :o WHERE id = :i"),
            {"o": other, "i": first},
        )
        # Same values written again: nothing moves.
        conn.execute(text("UPDATE process_instance SET status = status, version_id = version_id"))
    assert (
        version_counts_kept()
        == instances_by_version()
        == {(version, "running"): 1, (other, "completed"): 1}
    )
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM human_task WHERE instance_id = :i"), {"i": first})
        conn.execute(text("DELETE FROM process_instance WHERE id = :i"), {"i": first})
        conn.execute(text("DELETE FROM version_instance_count WHERE version_id = :o"), {"o": other})
        conn.execute(text("DELETE FROM process_version WHERE id = :o"), {"o": other})
    assert version_counts_kept() == instances_by_version() == {(version, "running"): 1}


def test_postgresql_counts_at_commit_so_long_transactions_hold_no_count_rows(app, client, smtp):
    """On PostgreSQL the triggers are deferred: a transaction changes (and locks) the count rows
    only while it commits. SQLite, with one writer at a time, counts at once."""
    signup(client, smtp)
    before = version_counts_kept()
    with db.engine.connect() as conn:
        conn.execute(text("UPDATE process_instance SET status = 'cancelled'"))
        inside = {
            (v, s): n
            for v, s, n in conn.execute(
                text("SELECT version_id, status, instances FROM version_instance_count")
            )
            if n
        }
        conn.commit()
    if db.engine.dialect.name == "postgresql":
        assert inside == before  # not yet: counted when the transaction commits
    else:
        assert inside == instances_by_version()
    assert (
        version_counts_kept()
        == instances_by_version()
        == {(version, "cancelled"): 1 for (version, _s) in before}
    )
