// Enter (or Ctrl/Cmd+Enter) submits the prompt's form; Shift+Enter inserts a new line. Done in the page
// because the default action (a new line in the textarea) must be prevented synchronously, before the
// server sees the key.
export function sendOnEnter(textarea) {
  textarea.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing) {
      return;
    }
    e.preventDefault();
    if (!textarea.disabled) {
      textarea.form?.requestSubmit();
    }
  });
}
