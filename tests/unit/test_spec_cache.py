"""The per-version spec cache: one set of spec objects per content hash, safe across threads."""

import threading

from app.engine import runtime
from app.engine.serializer import workflow_state_to_json
from tests.unit.test_engine import Recorder, bundle


def test_threads_share_one_set_of_specs_and_restore_the_same_state():
    parsed = bundle()
    key = f"test-threads-{id(parsed)}"
    workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, Recorder())
    state = workflow_state_to_json(workflow)
    reads, results, errors = [], [], []
    barrier = threading.Barrier(8)

    def read() -> str:
        reads.append(1)
        return parsed.spec_json

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                specs = runtime.version_specs(key, read)
                restored = runtime.restore_workflow(state, key, read, Recorder())
                results.append((specs, workflow_state_to_json(restored)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 40
    first = results[0][0]
    assert all(specs is first for specs, _ in results)  # one set kept, whoever parsed first
    assert all(again == state for _, again in results)
    assert 1 <= len(reads) <= 8  # read only by threads that found nothing cached yet
    assert key in runtime.cached_version_keys()


def test_the_cache_is_bounded_and_keeps_the_recently_used():
    parsed = bundle()
    keep = "test-bounded-keep"
    runtime.version_specs(keep, lambda: parsed.spec_json)
    for n in range(runtime._VERSION_SPECS_MAX + 5):
        runtime.version_specs(keep, lambda: parsed.spec_json)  # used again: moves to the end
        runtime.version_specs(f"test-bounded-{n}", lambda: parsed.spec_json)
    keys = runtime.cached_version_keys()
    assert len(keys) == runtime._VERSION_SPECS_MAX
    assert keep in keys and "test-bounded-0" not in keys


def test_a_state_of_another_serializer_version_is_restored_through_the_full_path():
    import json

    from app.engine.serializer import SERIALIZER, workflow_from_state

    parsed = bundle()
    workflow = runtime.start_workflow(parsed.spec_json, {"application_id": 1}, Recorder())
    old = json.loads(workflow_state_to_json(workflow))
    old[SERIALIZER.VERSION_KEY] = "0.0-unknown"  # no library migration applies
    spec, subs = runtime.version_specs("test-old-version", lambda: parsed.spec_json)
    assert workflow_from_state(json.dumps(old), spec, subs) is None
    reads = []
    restored = runtime.restore_workflow(
        json.dumps(old), "test-old-version", lambda: reads.append(1) or parsed.spec_json, None
    )
    assert reads == [1]  # the spec JSON was read for the library's migration
    assert runtime.ready_tasks(restored) == runtime.ready_tasks(workflow)
