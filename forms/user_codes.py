"""The 利用者コード screens' buttons: add, correct and remove codes and rows without submitting."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from app.domain.industries import check_user_code
from forms.base import TaskForm
from forms.entry_codes import MAX_USER_CODES

EDITOR_DEFAULTS: dict[str, Any] = {
    "system_kind": "",
    "sso": "否",
    "industries": [],
    "processing": "netNACCS",
    "identifier_count": 1,
    "paid_statistics": "否",
    "free_statistics": "否",
    "bonded_storage": "否",
}
ROW_FIELDS = tuple(EDITOR_DEFAULTS)
TOO_MANY_CODES = "利用者コードは{max}件まで設定できます。"
TOO_MANY_ROWS = "設定は合計{max}件までです。"
NO_ROWS = "業種の設定がありません。入力欄に入力して「設定する」を押してください。"


def _rebuild(
    form: Any,
    rows: list[dict[str, Any]],
    *,
    view: str,
    code: int | None = None,
    editing: int | None = None,
    editor: dict[str, Any] | None = None,
) -> Any:
    pairs = list(TaskForm.to_formdata({"rows": rows}).items(multi=True))
    for name, value in TaskForm.to_formdata(editor or EDITOR_DEFAULTS).items(multi=True):
        pairs.append((f"new-{name}", value))
    pairs += [
        ("uc_view", view),
        ("uc_code", "" if code is None else str(code)),
        ("uc_editing", "" if editing is None else str(editing)),
    ]
    return type(form)(formdata=MultiDict(pairs), context=form.context)


def _renumber(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the 利用者コード番号 1, 2, 3 ... after a code was removed."""
    numbers = sorted({row.get("code_no") or 1 for row in rows})
    mapping = {old: new for new, old in enumerate(numbers, start=1)}
    return [{**row, "code_no": mapping[row.get("code_no") or 1]} for row in rows]


def _editor_row(form: Any, code_no: int) -> dict[str, Any]:
    data = {name: form.editor[name].data for name in ROW_FIELDS}
    data["industries"] = list(data["industries"] or [])
    return {"code_no": code_no, **data}


def _editor_has_input(form: Any) -> bool:
    return bool(form.editor.industries.data) or bool(form.editor.system_kind.data)


def _index(value: str, rows: list[dict[str, Any]]) -> int | None:
    try:
        index = int(value)
    except ValueError:
        return None
    return index if 0 <= index < len(rows) else None


def _set_row(form: Any, rows: list[dict[str, Any]]) -> tuple[Any, bool]:
    """「設定する」: check the row and its 利用者コード as a whole; add it or redisplay why not."""
    code, editing = form.code_no, form.editing_index
    if editing is not None and editing >= len(rows):
        editing = None
    form.editor.validate()
    if editing is None and len(rows) >= form.rows.max_entries:
        form.form_errors.append(TOO_MANY_ROWS.format(max=form.rows.max_entries))
    if form.editor.errors or form.form_errors:
        return form, False
    candidate = _editor_row(form, code)
    others = [row for i, row in enumerate(rows) if row.get("code_no") == code and i != editing]
    problems = check_user_code([*others, candidate])
    if problems:
        form.form_errors.extend(f"利用者コード{code}：{message}" for message in problems)
        return form, False
    if editing is None:
        rows.append(candidate)
    else:
        rows[editing] = candidate
    rebuilt = _rebuild(form, rows, view="code", code=code)
    rebuilt.page_message = f"利用者コード{code}に設定しました。"
    return rebuilt, True


def apply_user_code_action(form: Any, action: str) -> Any:
    """Carry out one button of the 利用者コード screens; returns the form to redisplay."""
    verb, _, arg = action.partition(":")
    rows = form.row_dicts()
    numbers = sorted({row.get("code_no") or 1 for row in rows})
    if verb == "add_code":
        if len(numbers) >= MAX_USER_CODES:
            form.uc_view.data = "list"
            form.form_errors.append(TOO_MANY_CODES.format(max=MAX_USER_CODES))
            return form
        return _rebuild(form, rows, view="code", code=(numbers[-1] if numbers else 0) + 1)
    if verb == "edit_code":
        return _rebuild(form, rows, view="code", code=int(arg) if arg.isdigit() else 1)
    if verb == "delete_code" and arg.isdigit():
        kept = _renumber([row for row in rows if row.get("code_no") != int(arg)])
        rebuilt = _rebuild(form, kept, view="list")
        rebuilt.page_message = f"利用者コード{arg}を削除しました。"
        return rebuilt
    if verb == "set_row":
        return _set_row(form, rows)[0]
    if verb == "edit_row" and (index := _index(arg, rows)) is not None:
        row = rows[index]
        editor = {name: row.get(name) for name in ROW_FIELDS}
        rebuilt = _rebuild(
            form, rows, view="code", code=row.get("code_no") or 1, editing=index, editor=editor
        )
        rebuilt.page_message = f"{_position(rows, index)}の内容を入力欄に表示しました。"
        return rebuilt
    if verb == "delete_row" and (index := _index(arg, rows)) is not None:
        code = rows[index].get("code_no") or 1
        label = _position(rows, index)
        del rows[index]
        rebuilt = _rebuild(form, rows, view="code", code=code)
        rebuilt.page_message = f"{label}を削除しました。"
        return rebuilt
    if verb == "done_code":
        if _editor_has_input(form):
            form, added = _set_row(form, rows)
            if not added:
                return form
            rows = form.row_dicts()
        if not any(row.get("code_no") == form.code_no for row in rows):
            form.form_errors.append(NO_ROWS)
            form.uc_view.data = "code"
            return form
        return _rebuild(form, rows, view="list")
    if verb == "to_confirm":
        if form.validate():
            return _rebuild(form, rows, view="confirm")
        form.uc_view.data = "list"
        return form
    return _rebuild(form, rows, view="list")


def _position(rows: list[dict[str, Any]], index: int) -> str:
    """「利用者コード1の2行目」 for the row at index."""
    code = rows[index].get("code_no") or 1
    number = sum(1 for row in rows[: index + 1] if (row.get("code_no") or 1) == code)
    return f"利用者コード{code}の{number}行目"
