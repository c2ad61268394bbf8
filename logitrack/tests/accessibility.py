"""An accessibility check for any page open in Playwright: ``accessibility_problems(page)``
lists what it finds, as sentences; an empty list is a pass.

What it checks (WCAG 2.2 AA, the parts a program can judge): the document names its
language (``<html lang>``); one ``h1``; heading levels never skip one going down; every
``img`` has an ``alt``; every form control has a label; visible text contrasts with its
background by 4.5:1 at least (3:1 for large text), from the computed styles; and nothing
scrolls sideways (the page fits its viewport, 360 px wide included).
"""

import re

NORMAL_TEXT_RATIO = 4.5
LARGE_TEXT_RATIO = 3.0
# Large text in WCAG: 18 pt (24 px), or 14 pt (18.66 px) bold.
LARGE_PX, LARGE_BOLD_PX, BOLD = 24.0, 18.66, 700

_FACTS = """() => {
  const shown = (el) => {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden";
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      if (colour && colour !== "transparent" && !/^rgba\\(.*, 0\\)$/.test(colour)) return colour;
    }
    return "rgb(255, 255, 255)";
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || !shown(el)) continue;
    if (["SCRIPT", "STYLE", "NOSCRIPT"].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    texts.push({text: node.textContent.trim().slice(0, 50), color: style.color,
                background: background(el), size: parseFloat(style.fontSize),
                weight: parseInt(style.fontWeight, 10)});
  }
  const controls = [...document.querySelectorAll("input, select, textarea")].filter(
    (c) => !["hidden", "submit", "button", "reset", "image"].includes(c.type));
  return {
    lang: document.documentElement.getAttribute("lang") || "",
    headings: [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].filter(shown)
      .map((h) => [Number(h.tagName[1]), h.textContent.trim().slice(0, 50)]),
    imagesWithoutAlt: [...document.images].filter((i) => !i.hasAttribute("alt"))
      .map((i) => i.getAttribute("src")),
    unlabelled: controls.filter((c) => c.labels.length === 0 && !c.getAttribute("aria-label")
      && !c.getAttribute("aria-labelledby") && !c.title).map((c) => c.name || c.id || c.type),
    scrollWidth: document.documentElement.scrollWidth,
    viewportWidth: document.documentElement.clientWidth,
    texts,
  };
}"""

_COLOUR = re.compile(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)")


def parse_colour(css: str) -> tuple[float, float, float, float]:
    """``rgb(…)``/``rgba(…)`` as computed styles give it: red, green, blue (0–255), alpha."""
    match = _COLOUR.fullmatch(css.strip())
    if match is None:
        raise ValueError(f"not an rgb() colour: {css!r}")
    red, green, blue, alpha = match.groups()
    return float(red), float(green), float(blue), float(alpha) if alpha else 1.0


def _over(top: tuple[float, float, float, float], under: tuple[float, float, float]):
    alpha = top[3]
    return tuple(alpha * t + (1 - alpha) * u for t, u in zip(top[:3], under, strict=True))


def _luminance(rgb) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG's contrast ratio of text in ``foreground`` on ``background`` (CSS colours;
    a translucent background is taken over white, translucent text over its background)."""
    back = _over(parse_colour(background), (255.0, 255.0, 255.0))
    fore = _over(parse_colour(foreground), back)
    lighter, darker = sorted((_luminance(fore), _luminance(back)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _required_ratio(size: float, weight: int) -> float:
    large = size >= LARGE_PX or (size >= LARGE_BOLD_PX and weight >= BOLD)
    return LARGE_TEXT_RATIO if large else NORMAL_TEXT_RATIO


def heading_problems(headings: list[list]) -> list[str]:
    problems = []
    if [level for level, _ in headings].count(1) != 1:
        problems.append(f"expected one h1, found headings {headings}")
    previous = 0
    for level, text in headings:
        if level > previous + 1:
            problems.append(f"h{level} {text!r} follows h{previous}: a level skipped")
        previous = level
    return problems


def contrast_problems(texts: list[dict]) -> list[str]:
    problems = []
    for text in texts:
        ratio = contrast_ratio(text["color"], text["background"])
        if ratio < _required_ratio(text["size"], text["weight"]):
            problems.append(
                f"text {text['text']!r}: contrast {ratio:.2f}:1 "
                f"({text['color']} on {text['background']})"
            )
    return problems


def accessibility_problems(page) -> list[str]:
    facts = page.evaluate(_FACTS)
    problems = [] if facts["lang"].strip() else ["<html> names no language (lang)"]
    problems += heading_problems(facts["headings"])
    problems += [f"img without alt: {src}" for src in facts["imagesWithoutAlt"]]
    problems += [f"form control without a label: {name}" for name in facts["unlabelled"]]
    problems += contrast_problems(facts["texts"])
    if facts["scrollWidth"] > facts["viewportWidth"]:
        problems.append(
            f"scrolls sideways: {facts['scrollWidth']} px of content in {facts['viewportWidth']} px"
        )
    return problems
