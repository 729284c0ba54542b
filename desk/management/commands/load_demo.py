from django.core.management.base import BaseCommand

from desk.demo import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo world of the seed press releases: the InnoParks, the Science Park and "
        "the Hong Kong-Shenzhen I&T Park with their centres and facilities, the organisations and "
        "people named, four past events with programmes, attendees and bookings, a full current "
        "week and next week for the calendar's first screen, and generated events over the next "
        "eight weeks. Idempotent: a second run adds nothing."
    )

    def handle(self, *args, **options):
        counts = demo_load()
        added = sum(new for new, _total in counts.values())
        for label, (new, total) in counts.items():
            self.stdout.write(f"{label.capitalize():<20} {new:>4} added {total:>6} in all")
        message = f"Demo data loaded: {added} rows added." if added else "Demo data already loaded."
        self.stdout.write(self.style.SUCCESS(message))
