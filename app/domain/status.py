"""The application's status and the applicant's next action, in plain Japanese."""

STATUS_LABELS = {
    "signup": "仮アカウント申込中",
    "entry": "詳細情報の入力中",
    "submitted": "審査待ち",
    "returned": "差戻し（申込内容の修正をお願いします）",
    "issued": "審査終了（申込内容の確認・システム設定の申込をお願いします）",
    "setup_filed": "システム設定申込済（NACCSセンターで作業中）",
    "setup_done": "設定作業完了（利用開始日をお待ちください）",
    "in_use": "利用開始",
    "rejected": "却下",
    "cancelled": "申込取消",
    "withdrawn": "申込取下げ",
    "expired": "仮アカウント有効期限切れ",
    "abandoned": "仮アカウント申込未完了（24時間以内に登録されませんでした）",
}

NEXT_ACTIONS = {
    "entry": "「{task}」から入力を続け、{deadline}までに申込内容を登録してください。",
    "submitted": "審査終了までしばらくお待ちください（回答は翌営業日以降になることがあります）。",
    "returned": "NACCSセンターから修正の依頼があります。内容を修正して、再度登録してください。",
    "issued": (
        "確定した利用開始日とID通知内容を確認し、システム設定関係申込締切日（{setup}）までに"
        "システム設定の申込を行ってください。"
    ),
    "setup_filed": "NACCSセンターで設定作業中です。作業完了のE-mailをお待ちください。",
    "setup_done": "設定作業は完了しました。利用開始日（{start}）からNACCSを利用できます。",
    "in_use": (
        "利用開始日となりました。システムサービス利用承諾書を印刷し、保管してください。"
        "今後は事業所コード・事業所パスワードでログインしてください。"
    ),
    "rejected": "利用申込は却下されました。理由をご確認ください。",
    "cancelled": (
        "システム設定の申込期限を過ぎたため、利用申込は取り消されました。"
        "引き続き利用を希望される場合は、あらためて申込を行ってください。"
    ),
    "expired": "仮ログインIDの有効期限が過ぎました。再度仮アカウント申込を行ってください。",
    "withdrawn": "利用申込は取り下げられました。あらためて申込を行う場合は、仮アカウント申込から行ってください。",
}

# Instance administration: statuses that close the applicant's door (仮ログインID and
# 事業所コード), with the reason shown at the login and when a session ends.
LOGIN_CLOSED = {
    "withdrawn": "この申込は取り下げられたため、ログインできません。",
    "cancelled": "この申込は取り消されたため、ログインできません。",
    "rejected": "この申込は却下されたため、ログインできません。却下の理由は通知のE-mailをご確認ください。",
}

SUSPENDED = (
    "この申込は現在一時停止されています。NACCSセンターから連絡があるまで、手続きは行えません"
    "（入力した内容は保持されます）。"
)
