"""The words of the field app's own screens, marked for the catalogs; the app gets them translated as JSON.

The JavaScript looks each one up by its English text (`t("Save")`); tests/test_field_app.py
checks that every text the scripts ask for is listed here.
"""
from village.i18n_markers import N_

UI = (
    N_("Field app"), N_("New visit"), N_("Save"), N_("Sync now"), N_("Log out"), N_("Export unsynced"),
    N_("Unsynced"), N_("Last sync"), N_("never"), N_("Node reachable"), N_("Node not reachable"),
    N_("Conflicts"), N_("Refused by the node"), N_("Tablet clock is off by %(hours)s hours: set the date and time."),
    N_("Worker"), N_("Password"), N_("Unlock"), N_("Add a worker (online login)"),
    N_("Workers on this tablet"), N_("Wrong password. %(left)s tries left."),
    N_("Too many wrong passwords: log in online on the village Wi-Fi to unlock this tablet again."),
    N_("Last online login was more than %(days)s days ago: log in online on the village Wi-Fi."),
    N_("Type your password once more to use this tablet offline."),
    N_("This password is not the one of your account."),
    N_("Locked after a time without activity."),
    N_("Storage kept when space runs low"), N_("Storage may be cleared by the browser when space runs low"),
    N_("On an iPad, capture only in the app added to the Home Screen: Safari tabs lose their data after 7 days."),
    N_("Households"), N_("Household"), N_("Kind of visit"), N_("Visit saved on this tablet."),
    N_("Saved on this tablet."), N_("Please correct the marked fields."), N_("This field is required."),
    N_("Too long: at most %(max)s characters."), N_("Not a number."), N_("Too small."), N_("Too large."),
    N_("Not one of the choices."), N_("Take or choose a photo"), N_("Photo kept (%(kb)s KB)."),
    N_("yes"), N_("no"), N_("not asked"), N_("Cancel"), N_("Back"), N_("Edit"), N_("New household"),
    N_("New member"), N_("Members"), N_("Plots"), N_("New planting"),
    N_("My records on this tablet"), N_("Logged out. %(count)s unsynced records are kept on this tablet "
                                        "and will be sent at the next sync."),
    N_("Logged out. Everything was synced."),
    N_("An update of the app is ready. It installs when everything is synced."), N_("Update now"),
    N_("Syncing…"),
    N_("Enrolling…"), N_("Enrollment code"), N_("Enroll this tablet"),
    N_("This tablet is not enrolled at the village node yet. Scan the QR code on the clerk's Tablets page, "
       "or type its code."),
    N_("The node did not accept this code (%(reason)s). Ask the clerk for a new one."),
    N_("This tablet is enrolled at the village node."),
    N_("This tablet was revoked at the node: export the unsynced records and give the file to the clerk."),
    N_("The village holds %(count)s households, more than a tablet keeps comfortably: it may become slow."),
    N_("%(count)s unsynced records written to the file."), N_("Choose…"),
    N_("The field app is switched off on this node. Your records stay on this tablet."),
    N_("Status"),
    N_("%(names)s: no longer an active field worker at the node. Their work was sent, then removed from this "
       "tablet."),
    N_("Value now"), N_("Other value"), N_("this tablet"), N_("Nothing was changed."),
    N_("The same field was changed in two places, neither seeing the other: the later change was kept. To keep the "
       "other value, edit the record again."),
    N_("Photos waiting"),
    N_("Logged out. %(count)s unsynced records and %(photos)s photos are kept on this tablet. The records are sent "
       "at the next sync, your photos at your next sync."),
    N_("%(count)s unsynced records and %(photos)s photos written to the file."),
    N_("%(left)s photos did not fit in it and stay on this tablet: export again to carry them."),
    N_("The unsynced records alone are more than one file may hold (%(max)s MB): sync on the village Wi-Fi."),
)
