// Search as you type in a checkbox list ([data-picker]): options whose label does not contain
// the typed words are hidden. Without this file the list is a plain list of checkboxes.
(() => {
  // "Školní", "SZKOŁA" and "skolni" all become "skolni"/"szkola": no case, no diacritics.
  const fold = (text) =>
    text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/ł/g, "l")
      .replace(/Ł/g, "L")
      .toLowerCase();

  const setUp = (picker) => {
    const input = picker.querySelector("[data-picker-filter]");
    const row = picker.querySelector("[data-picker-filter-row]");
    const empty = picker.querySelector("[data-picker-empty]");
    const options = Array.from(picker.querySelectorAll("input[type=checkbox]")).map((box) => {
      const item = box.closest("label")?.parentElement || box.parentElement;
      return { item, text: fold(item.textContent) };
    });
    if (!input || options.length === 0) {
      return;
    }
    row.hidden = false;
    input.addEventListener("input", () => {
      const words = fold(input.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const { item, text } of options) {
        const match = words.every((word) => text.includes(word));
        item.hidden = !match;
        shown += match ? 1 : 0;
      }
      empty.hidden = shown > 0;
    });
    // Enter in the filter box must not submit the whole form.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
      }
    });
  };

  const start = () => document.querySelectorAll("[data-picker]").forEach(setUp);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
