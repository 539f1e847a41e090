"""Banks offered as 振込先銀行 for 銀行振込 (bank transfer)."""

BANKS: tuple[str, ...] = (
    "三菱UFJ銀行",
    "三井住友銀行",
    "みずほ銀行",
    "りそな銀行",
    "ゆうちょ銀行",
    "横浜銀行",
    "千葉銀行",
    "福岡銀行",
)
