"""A round played in Arabic on phones, run by a facilitator in French: every screen in its
reader's language and direction, live updates included, and axe finds nothing serious."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.conftest import check_accessibility, screenshots

pytestmark = pytest.mark.browser

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None


@pytest.fixture
def person(browser: Any, base_url: str) -> Iterator[Any]:
    """A browser of its own (cookies, language) for each person, closed afterwards."""
    made: list[Any] = []

    def make(locale: str = "en-GB", width: int = 1280, height: int = 900) -> Any:
        ctx = browser.new_context(
            base_url=base_url, locale=locale, viewport={"width": width, "height": height}
        )
        ctx.set_default_timeout(10_000)
        made.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in made:
        ctx.close()


def bare(text: str) -> str:
    """Without the invisible isolates that keep names and numbers in their own direction."""
    return text.replace("\u2068", "").replace("\u2069", "")


def speaks(page: Any, lang: str, direction: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", direction)


def join_in_arabic(page: Any, code: str, name: str, team: str) -> None:
    page.goto(f"/join/{code}")
    speaks(page, "ar", "rtl")
    page.get_by_label("اسمك").fill(name)
    page.get_by_role("button", name="انضمام").click()
    expect(page.get_by_role("heading", name="اختر فريقك")).to_be_visible()
    page.locator(f"#team-{team}").check()
    page.get_by_role("button", name="أخذ هذا الفريق").click()
    expect(page.locator("#overview")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-connected", "1")


def test_a_round_in_arabic_from_joining_to_the_decisions(person: Any) -> None:
    # The facilitator's browser asks for French.
    fac = person("fr-FR")
    fac.goto("/")
    speaks(fac, "fr", "ltr")
    fac.get_by_label("Tours (laisser vide").fill("3")
    fac.get_by_role("button", name="Créer la partie").click()
    expect(fac.locator("body")).to_have_attribute("data-connected", "1")
    code = fac.locator("#join-code").inner_text()

    # Ana's phone speaks English; she switches to Arabic on the join page.
    ana = person("en-GB", 360, 780)
    ana.goto(f"/join/{code}")
    speaks(ana, "en", "ltr")
    ana.get_by_role("link", name="العربية").click()
    speaks(ana, "ar", "rtl")
    expect(ana.get_by_label("رمز اللعبة")).to_have_value(code)
    check_accessibility(ana, "arabic-join")
    join_in_arabic(ana, code, "آنا", "union")
    # Sami's phone asks for Arabic itself.
    sami = person("ar-MA", 360, 780)
    join_in_arabic(sami, code, "سامي", "sahelia")
    expect(fac.locator("#players")).to_contain_text("سامي")
    expect(fac.locator("#teams")).to_contain_text("Sahélie")  # the scenario's French
    expect(fac.locator(".game-title")).to_contain_text("Corridor méditerranéen")
    expect(sami.locator(".game-title")).to_have_text("ممر البحر المتوسط")

    fac.locator("button[data-op=start]").click()
    expect(fac.locator("#controls-msg")).to_contain_text("La partie a commencé")
    for page in (ana, sami):
        expect(page.locator("#status .phase")).to_have_text("الإحاطة")
    fac.locator("button[data-op=advance]").click()
    expect(fac.locator("#status .phase")).to_have_text("Négociation")
    for page in (ana, sami):
        expect(page.locator("#status .phase")).to_have_text("التفاوض")

    # Ana proposes visas for readmission.
    b = ana.locator("#builder")
    b.get_by_label("ساهيليا").check()  # the scenario's own translation of "Sahelia"
    b.locator("#t0_type").select_option("visa_facilitation")
    b.locator("#t0_giver").select_option("union")
    b.locator("#t0_receiver").select_option("sahelia")
    b.locator("#t0_amount").fill("1")
    b.get_by_role("button", name="إضافة بند").click()
    b.locator("#t1_type").select_option("readmission")
    b.locator("#t1_giver").select_option("sahelia")
    b.locator("#t1_receiver").select_option("union")
    b.locator("#t1_amount").fill("60")
    b.get_by_role("button", name="إرسال المقترح").click()
    expect(b).to_contain_text(re.compile(r"أُرسل المقترح\W*p1"))

    # It reaches Sami live, in Arabic, the arrow pointing the way Arabic reads.
    offer = sami.locator("#prop-p1")
    expect(offer).to_contain_text("التأشيرات")
    terms = [bare(t) for t in offer.locator("ol.terms li").all_inner_texts()]
    assert terms[0].startswith("الاتحاد الشمالي ← ساهيليا: التأشيرات: مُيسَّرة"), terms
    assert terms[1].startswith("ساهيليا ← الاتحاد الشمالي: إعادة القبول 60 %"), terms
    check_accessibility(sami, "arabic-negotiation")
    screenshots(sami, "arabic-negotiation")
    offer.get_by_role("button", name="قبول").click()
    for page in (ana, sami):
        expect(page.locator("#ag-a1")).to_contain_text(re.compile("إعادة القبول\\W*60"))
    expect(fac.locator("#fac-deals")).to_contain_text("a1")

    # The switch keeps Ana's seat: French for a moment, then back to Arabic.
    ana.get_by_role("link", name="Français").click()
    speaks(ana, "fr", "ltr")
    expect(ana.locator("#ag-a1")).to_contain_text("Sahélie → Union du Nord : réadmission 60 %")
    expect(ana.locator("body")).to_have_attribute("data-connected", "1")
    ana.get_by_role("link", name="العربية").click()
    speaks(ana, "ar", "rtl")
    expect(ana.locator("#guide")).to_be_visible()  # on a phone the Deals tab is the one open
    expect(ana.locator("body")).to_have_attribute("data-connected", "1")

    # Implementation: both decide; the round is resolved.
    fac.locator("button[data-op=advance]").click()
    for page in (ana, sami):
        expect(page.locator("#status .phase")).to_have_text("التنفيذ")
    for page in (ana, sami):
        page.locator("#impl-form").get_by_role("button", name="تأكيد القرارات").click()
        expect(page.locator("#implementation")).to_contain_text("سُجّلت قرارات فريقك")
    check_accessibility(ana, "arabic-implementation")
    screenshots(ana, "arabic-implementation")
    fac.locator("button[data-op=advance]").click()
    expect(fac.locator("#status .phase")).to_have_text("Résolution")
    for page in (ana, sami):
        expect(page.locator("#status .phase")).to_have_text("الحسم")
        expect(page.locator("#results")).to_contain_text(re.compile(r"الجولة\W*1\W*\(\W*\d{4}"))
    check_accessibility(ana, "arabic-results")
    screenshots(ana, "arabic-results")
    check_accessibility(fac, "french-console")
