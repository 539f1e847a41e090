/* Progressive enhancement of the forms; every form works without this file.
   - 「反映」: fill the address from the postal code without reloading (falls back to the submit).
   - Fields that apply only after a choice (data-when) are hidden until they apply.
   - A live character counter for text areas with a limit (data-counter-for).
   - 管轄税関 follows the 都道府県 until the applicant picks another one.
   - 企業名（英） can be typed only with 「同一企業の全事業所情報を変更します」 checked.
   - The error summary takes the focus, so keyboard and screen-reader users start there. */
(function () {
  "use strict";

  var CUSTOMS = {
    "北海道": "函館税関", "青森県": "函館税関", "岩手県": "函館税関", "秋田県": "函館税関",
    "山形県": "東京税関", "群馬県": "東京税関", "埼玉県": "東京税関", "東京都": "東京税関",
    "新潟県": "東京税関", "山梨県": "東京税関",
    "宮城県": "横浜税関", "福島県": "横浜税関", "茨城県": "横浜税関", "栃木県": "横浜税関",
    "千葉県": "横浜税関", "神奈川県": "横浜税関",
    "長野県": "名古屋税関", "岐阜県": "名古屋税関", "静岡県": "名古屋税関", "愛知県": "名古屋税関",
    "三重県": "名古屋税関",
    "富山県": "大阪税関", "石川県": "大阪税関", "福井県": "大阪税関", "滋賀県": "大阪税関",
    "京都府": "大阪税関", "大阪府": "大阪税関", "奈良県": "大阪税関", "和歌山県": "大阪税関",
    "兵庫県": "神戸税関", "鳥取県": "神戸税関", "島根県": "神戸税関", "岡山県": "神戸税関",
    "広島県": "神戸税関", "徳島県": "神戸税関", "香川県": "神戸税関", "愛媛県": "神戸税関",
    "高知県": "神戸税関",
    "山口県": "門司税関", "福岡県": "門司税関", "大分県": "門司税関", "宮崎県": "門司税関",
    "佐賀県": "門司税関",
    "熊本県": "長崎税関", "鹿児島県": "長崎税関", "長崎県": "長崎税関", "沖縄県": "沖縄地区税関"
  };

  function byId(id) { return id ? document.getElementById(id) : null; }

  function setValue(id, value, onlyIfEmpty) {
    var input = byId(id);
    if (!input || !value) { return; }
    if (onlyIfEmpty && input.value.trim() !== "") { return; }
    input.value = value;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function customsFor(prefecture) { return CUSTOMS[prefecture] || ""; }

  /* 「反映」 */
  function postalLookup(event) {
    var button = event.currentTarget;
    var input = byId(button.getAttribute("data-postal-lookup"));
    var targets = JSON.parse(button.getAttribute("data-targets") || "{}");
    var status = byId(input.id + "-postal-status");
    var errors = byId(input.id + "-error");
    event.preventDefault();
    fetch("/postal/" + encodeURIComponent(input.value.trim() || "-"), {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error("lookup failed"); }
      return response.json();
    }).then(function (data) {
      if (errors) { errors.remove(); }
      if (!data.found) {
        status.textContent = data.message;
        status.classList.add("error-text");
        input.setAttribute("aria-invalid", "true");
        input.focus();
        return;
      }
      status.classList.remove("error-text");
      input.removeAttribute("aria-invalid");
      input.value = data.postal_code;
      var prefecture = byId(targets.prefecture);
      var oldPrefecture = prefecture ? prefecture.value : "";
      setValue(targets.prefecture, data.prefecture, false);
      setValue(targets.city, data.city, false);
      setValue(targets.street, data.town, true);
      setValue(targets.kana, data.kana, true);
      var customs = byId(targets.customs);
      if (customs && (!customs.value || customs.value === customsFor(oldPrefecture))) {
        customs.value = data.customs;
      }
      setValue(targets.en1, data.romaji[0], true);
      setValue(targets.en2, data.romaji[1], true);
      setValue(targets.en3, data.romaji[2], true);
      status.textContent = data.message;
      var next = byId(targets.street) || byId(targets.en3);
      if (next) { next.focus(); }
    }).catch(function () {
      /* No script answer: ask the server the old way, the page comes back filled. */
      button.removeEventListener("click", postalLookup);
      button.click();
    });
  }

  /* 管轄税関 follows 都道府県 unless the applicant chose another customs. */
  function linkCustoms(form) {
    var prefecture = form.querySelector("select[name='prefecture']");
    var customs = form.querySelector("select[name='customs']");
    if (!prefecture || !customs) { return; }
    var last = prefecture.value;
    prefecture.addEventListener("change", function () {
      if (!customs.value || customs.value === customsFor(last)) {
        customs.value = customsFor(prefecture.value) || customs.value;
      }
      last = prefecture.value;
    });
  }

  /* Conditional fields: data-when='{"address_mode": ["other"]}'. */
  function currentValue(form, name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    if (checked) { return checked.value; }
    if (form.querySelector("input[type='radio'][name='" + name + "']")) { return ""; }
    var field = form.querySelector("select[name='" + name + "'], input[type='hidden'][name='" + name + "']");
    return field ? field.value : null;
  }

  function applies(form, conditions) {
    return Object.keys(conditions).every(function (name) {
      var value = currentValue(form, name);
      return value === null || conditions[name].indexOf(value) !== -1;
    });
  }

  function refreshConditions(form) {
    form.querySelectorAll("[data-when]").forEach(function (element) {
      var conditions = JSON.parse(element.getAttribute("data-when"));
      var show = applies(form, conditions) || element.querySelector(".errors");
      element.hidden = !show;
      element.querySelectorAll(".when").forEach(function (note) { note.hidden = true; });
    });
  }

  /* 申込理由: 「n / 240文字」. */
  function counters() {
    document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
      var area = byId(counter.getAttribute("data-counter-for"));
      var max = parseInt(counter.getAttribute("data-max"), 10);
      if (!area) { return; }
      area.setAttribute("aria-describedby", ((area.getAttribute("aria-describedby") || "") + " " + counter.id).trim());
      function update() {
        var length = Array.from(area.value.replace(/\r\n/g, "\n").trim()).length;
        var rest = max - length;
        counter.textContent = length + " / " + max + "文字" + (rest < 0 ? "（" + (-rest) + "文字超えています）" : "（残り" + rest + "文字）");
        counter.classList.toggle("over", rest < 0);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  /* 企業名（英） only with the check box. */
  function englishCompany() {
    var box = document.querySelector("input[name='change_all_offices']");
    var name = document.querySelector("input[name='company_name_en']");
    if (!box || !name) { return; }
    function update() { name.readOnly = !box.checked; name.classList.toggle("locked", !box.checked); }
    box.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-postal-lookup]").forEach(function (button) {
      button.addEventListener("click", postalLookup);
    });
    document.querySelectorAll("form").forEach(function (form) {
      linkCustoms(form);
      if (form.querySelector("[data-when]")) {
        refreshConditions(form);
        form.addEventListener("change", function () { refreshConditions(form); });
      }
    });
    counters();
    englishCompany();
    var summary = byId("error-summary");
    if (summary) { summary.focus(); }
  });
})();
