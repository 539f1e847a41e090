/* The reviewer's decision page (templates/tasks/review_decision.html). */
// Progressive enhancement: show the part of the decision box that applies, count 指摘.
(function () {
  var box = document.getElementById('decision-box');
  if (!box) { return; }
  function update() {
    var checked = box.querySelector('input[name="decision"]:checked');
    box.querySelectorAll('.decision-part').forEach(function (part) {
      part.hidden = !checked || part.getAttribute('data-when') !== checked.value;
    });
  }
  box.addEventListener('change', update);
  update();
  var count = document.getElementById('fc-count');
  document.addEventListener('input', function (event) {
    if (!event.target.name || event.target.name.indexOf('field_comments-') !== 0) { return; }
    var filled = 0;
    document.querySelectorAll('textarea[name^="field_comments-"]').forEach(function (t) { if (t.value.trim()) { filled += 1; } });
    count.textContent = filled;
  });
})();
