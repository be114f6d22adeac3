"""Small trend lines drawn on the server as inline SVG: no JavaScript, no chart library, nothing fetched."""
from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 120, 32, 3


def sparkline(values, label, width=WIDTH, height=HEIGHT):
    """Return an inline SVG line of `values` (oldest first), named `label` for screen readers."""
    values = [float(v) for v in values if v is not None]
    if not values:
        return Markup("")
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * PAD) / max(len(values) - 1, 1)
    points = [(PAD + i * step, PAD + (height - 2 * PAD) * (1 - (v - low) / span)) for i, v in enumerate(values)]
    if len(points) == 1:
        points.append((width - PAD, points[0][1]))
    text = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    # Drawn left to right whatever the page's direction: time runs that way on every chart.
    return Markup(f'<svg class="sparkline" role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}" dir="ltr"><title>{escape(label)}</title>'
                  f'<polyline fill="none" stroke="currentColor" stroke-width="2" points="{text}"/>'
                  f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" fill="currentColor"/></svg>')
