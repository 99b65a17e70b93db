// The new-study form shows only the chosen method's parameters. Without scripts the
// user chooses the method and presses "Show its parameters"; with them, changing the
// method presses it (the server keeps the general fields and fills in the defaults).
document.addEventListener("DOMContentLoaded", () => {
  const select = document.getElementById("f-method");
  const button = document.getElementById("choose-method");
  if (!select || !button) return;
  button.hidden = true;
  select.addEventListener("change", () => button.click());
});
