'use strict';
// select2, the admin's autocomplete, names its combobox after the choice it shows, so one with
// nothing chosen has no name at all: give it, and the box showing the choice, the name of the
// <select> it stands for (its aria-label, or its <label>). Loaded after the admin's
// autocomplete.js (templates/admin/change_form.html), so its handlers run after select2 starts.
{
    const $ = django.jQuery;

    function nameOf(select) {
        const own = select.getAttribute('aria-label');
        if (own) {
            return own;
        }
        const label = select.labels.length ? select.labels[0].textContent : '';
        return label.replace(/:\s*$/, '').trim();
    }

    function name(select) {
        const container = select.nextElementSibling;  // where select2 puts its own
        const label = nameOf(select);
        if (!label || !container || !container.classList.contains('select2')) {
            return;
        }
        for (const element of container.querySelectorAll('[role="combobox"], [role="textbox"]')) {
            element.setAttribute('aria-label', label);
        }
    }

    function nameAll(root) {
        root.querySelectorAll('select.admin-autocomplete').forEach(name);
    }

    $(function() {
        nameAll(document);
    });
    document.addEventListener('formset:added', (event) => nameAll(event.target));
}
