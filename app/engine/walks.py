"""The library's workflow classes with their task-tree walks done in one loop, same result.

SpiffWorkflow finds tasks by walking the task tree with a general iterator (a filter object,
depth bookkeeping and two property lookups per task). The engine walks often: each pass of
`do_engine_steps` walks the main workflow and every active sub-workflow for READY tasks, and
every completed task walks its workflow again for WAITING ones. A fired timer spent about 40 %
of its engine time in these walks. `ProductWorkflow` and `ProductSubWorkflow` answer the plain
queries (`get_tasks(state=…)`, optionally `manual=…`, from the root) with one loop over the same
tree in the same order; every other query goes to the library. tests/unit/test_engine_walks.py
holds them to the library's iterators on real states of every stage.
"""

from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

_PLAIN_QUERY = frozenset({"state", "manual"})
# The library's iterators stop descending at depth 1000; below this many tasks (all workflows
# of the instance together) no walk can get that deep, so the loop needs no depth bookkeeping.
_MAX_TASKS = 900


def _min_state(state: int) -> int:
    # The library's iterator descends only below tasks at least this far along.
    if state & TaskState.PREDICTED_MASK:
        return TaskState.MAYBE
    if state & TaskState.DEFINITE_MASK:
        return TaskState.FUTURE
    return TaskState.COMPLETED


def iter_tasks(workflow, state: int, manual: bool | None = None, into_subprocesses=True):
    """The tasks the library's iterator yields for `state` (and `manual`) from the root, one
    at a time as it does: depth first, a sub-workflow's tree before the children of the task
    that runs it; each task's children are read when it is reached and its state tested then,
    so a caller that changes the tree while walking sees what the library's caller would.
    `into_subprocesses=False`: the plain TaskIterator (update_waiting_tasks)."""
    min_state = _min_state(state)
    subprocesses = workflow.top_workflow.subprocesses if into_subprocesses else {}
    stack = [workflow.task_tree]
    while stack:
        task = stack.pop()
        current = task._state
        subprocess = subprocesses.get(task.id) if subprocesses else None
        if subprocess is not None or (task._children and current >= min_state):
            tasks = task.workflow.tasks
            following = [tasks.get(child) for child in task._children]
            # The library's own test, kept as written (no single state reaches the mask).
            finished = current >= TaskState.FINISHED_MASK and state <= TaskState.FINISHED_MASK
            if subprocess is not None and not finished:
                following.insert(0, subprocess.task_tree)
            following.reverse()  # the stack pops the first child first
            stack.extend(following)
        if current & state and (manual is None or task.task_spec.manual == manual):
            yield task


def _small(workflow) -> bool:
    top = workflow.top_workflow
    return len(top.tasks) + sum(len(s.tasks) for s in top.subprocesses.values()) < _MAX_TASKS


class FastWalks:
    """The walks of both workflow classes (a mixin before the library's class)."""

    def get_tasks(self, first_task=None, **kwargs):
        if first_task is None and "state" in kwargs and kwargs.keys() <= _PLAIN_QUERY:
            if _small(self):
                return list(iter_tasks(self, kwargs["state"], kwargs.get("manual")))
        return super().get_tasks(first_task, **kwargs)

    def update_waiting_tasks(self):
        if not _small(self):
            return super().update_waiting_tasks()
        for task in iter_tasks(self, TaskState.WAITING, into_subprocesses=False):
            task.task_spec._update(task)


class ProductSubWorkflow(FastWalks, BpmnSubWorkflow):
    """A sub-workflow (call activity, sub-process) of a ProductWorkflow."""


class ProductWorkflow(FastWalks, BpmnWorkflow):
    """The workflow of one instance; its sub-workflows are ProductSubWorkflows."""

    def create_subprocess(self, my_task, spec_name):
        subprocess = ProductSubWorkflow(
            self.subprocess_specs[spec_name], parent_task_id=my_task.id, top_workflow=self
        )
        self.subprocesses[my_task.id] = subprocess
        return subprocess
