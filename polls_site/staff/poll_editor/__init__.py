"""The editors' part of the staff area: poll forms, storage, results, charts and exports."""
