// Real-browser journeys against the real binary: the reader, the phone, the press service,
// the keyboard; with axe-core (WCAG 2.1 A/AA) and the Nu HTML Checker on every page type.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDemo, startBrowser, viewports, axe, shoot, validate, saveHtml, siteTime } from "./server.mjs";

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

const PASSWORD = "pressroom-demo";

async function newPage(viewport = viewports.desktop, options = {}) {
  const context = await browser.newContext({ viewport, bypassCSP: true, ...options });
  const page = await context.newPage();
  const external = [];
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (!["127.0.0.1", "localhost"].includes(url.hostname) && url.protocol.startsWith("http")) external.push(r.url());
  });
  page.external = external;
  return page;
}

async function signIn(page, username) {
  await page.goto(`${demo.base}/admin/login`);
  await page.fill("#username", username);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/admin\/$/), page.click("button[type=submit]")]);
}

/** The first release link on a listing whose card text matches `pattern`. */
async function releaseLink(page, lang, pattern) {
  await page.goto(`${demo.base}/${lang}/releases/?page=1`);
  for (let n = 1; n <= 3; n++) {
    const cards = page.locator("article.card");
    const count = await cards.count();
    for (let i = 0; i < count; i++) {
      const text = await cards.nth(i).innerText();
      if (pattern.test(text)) return cards.nth(i).locator("a").first().getAttribute("href");
    }
    const next = page.locator("a[rel=next]");
    if ((await next.count()) === 0) break;
    await next.click();
  }
  return null;
}

test("the reader: home, a release, its Russian translation, share links, copy link, feeds", async () => {
  const page = await newPage(viewports.desktop, { permissions: ["clipboard-read", "clipboard-write"] });
  await page.goto(`${demo.base}/`);
  assert.match(page.url(), /\/az\/$/);
  await page.click("text=English");
  assert.match(page.url(), /\/en\/$/);
  const first = page.locator("main article a").first();
  const title = await first.innerText();
  await first.click();
  assert.equal(await page.locator("h1").innerText(), title);
  const english = page.url();
  const russian = page.locator(".translations a[hreflang=ru]");
  if ((await russian.count()) > 0) {
    await russian.click();
    assert.match(page.url(), /\/ru\/releases\//);
    assert.equal(await page.locator("html").getAttribute("lang"), "ru");
    await page.goBack();
    assert.equal(page.url(), english);
  }
  const hrefs = await page.locator(".share ul a").evaluateAll((links) => links.map((a) => a.href));
  const expected = ["https://x.com/intent/post?url=", "https://www.facebook.com/sharer/sharer.php?u=", "https://t.me/share/url?url=",
    "https://wa.me/?text=", "https://www.linkedin.com/sharing/share-offsite/?url=", "mailto:?subject="];
  for (const prefix of expected) assert.ok(hrefs.some((h) => h.startsWith(prefix)), `share link ${prefix}`);
  assert.ok(hrefs.every((h) => h.includes(encodeURIComponent(english)) || h.startsWith("mailto:")), "share links carry this page's address");
  await page.click("button[data-copy-target]");
  await page.waitForSelector("#copy-status:has-text('Link copied')");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), english);
  const feed = await page.request.get(`${demo.base}/en/feed.atom`);
  assert.equal(feed.status(), 200);
  assert.match(feed.headers()["content-type"], /application\/atom\+xml/);
  assert.match(await feed.text(), /<feed xmlns="http:\/\/www.w3.org\/2005\/Atom"/);
  assert.deepEqual(page.external, [], "no request to another host");
  await page.context().close();
});

test("without JavaScript the link to copy is still there and selectable", async () => {
  const page = await newPage(viewports.desktop, { javaScriptEnabled: false });
  await page.goto(`${demo.base}/en/`);
  await page.locator("main article a").first().click();
  assert.ok(await page.locator("#page-link").isVisible());
  assert.equal(await page.locator("button[data-copy-target]").isVisible(), false, "the button needs JavaScript, so it stays hidden");
  assert.equal(await page.locator("#page-link").inputValue(), page.url());
  await page.context().close();
});

test("withdrawn and corrected releases say so; the verify page tells genuine from modified", async () => {
  const page = await newPage();
  const withdrawn = await releaseLink(page, "en", /Withdrawn/);
  assert.ok(withdrawn, "the demo has a withdrawn release");
  await page.goto(`${demo.base}${withdrawn}`);
  assert.match(await page.locator(".notice.withdrawn").innerText(), /Withdrawn on/);
  const corrected = await (async () => {
    await page.goto(`${demo.base}/en/sitemap.xml`).catch(() => {});
    // The sitemap is an index; the releases are in its children.
    const index = await (await page.request.get(`${demo.base}/sitemap.xml`)).text();
    const children = [...index.matchAll(/<loc>([^<]+\/sitemaps\/releases-\d+\.xml)<\/loc>/g)].map((m) => m[1]);
    assert.ok(children.length > 0, "the sitemap index names the release sitemaps");
    const urls = [];
    for (const child of children) {
      const text = await (await page.request.get(child)).text();
      urls.push(...[...text.matchAll(/<loc>([^<]+\/en\/releases\/[^<]+)<\/loc>/g)].map((m) => m[1]));
    }
    for (const url of urls) {
      const html = await (await page.request.get(url)).text();
      if (html.includes("Change history")) return url;
    }
    return null;
  })();
  assert.ok(corrected, "the demo has a corrected release");
  await page.goto(corrected);
  assert.match(await page.locator(".history").innerText(), /Updated .+:/);
  const body = await page.locator(".body").innerText();
  await page.goto(`${demo.base}/en/verify`);
  await page.fill("textarea", body);
  await page.click("main form button[type=submit]");
  assert.match(await page.locator("main").innerText(), /genuine/i);
  await page.goto(`${demo.base}/en/verify`);
  await page.fill("textarea", body.replace(/\d+/, "999"));
  await page.click("main form button[type=submit]");
  assert.match(await page.locator("main").innerText(), /modified/i);
  await page.context().close();
});

test("on a phone nothing overflows, navigation works, the language switcher works", async () => {
  const page = await newPage(viewports.phone);
  const release = await releaseLink(page, "en", /./);
  for (const path of ["/az/", "/en/releases/", "/en/releases/2026/", release, "/ru/pages/privacy", "/en/verify"]) {
    await page.goto(`${demo.base}${path}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path} overflows by ${overflow}px`);
  }
  await page.goto(`${demo.base}/en/`);
  await page.click("nav.main-nav a");
  assert.match(page.url(), /\/en\/releases\/$/);
  await page.click("nav.languages a[hreflang=ru]");
  assert.match(page.url(), /\/ru\/releases\/$/);
  await page.context().close();
});

test("a journalist searches from the header, on a phone and on a desktop", async () => {
  const journeys = [
    // A phone, English: a word form the title does not use.
    { viewport: viewports.phone, lang: "en", typed: "embankment", expect: /Zarinchay embankments inspected/ },
    // A desktop, Azerbaijani typed without its letters: Zərinçay.
    { viewport: viewports.desktop, lang: "az", typed: "ZERINCAY", expect: /Zərinçay/ },
  ];
  for (const { viewport, lang, typed, expect } of journeys) {
    const page = await newPage(viewport);
    await page.goto(`${demo.base}/${lang}/`);
    const box = page.locator("header form[role=search] input[name=q]");
    assert.ok(await box.isVisible(), `the header search box is visible (${viewport.width}px)`);
    await box.fill(typed);
    await Promise.all([page.waitForURL(/\/search\?q=/), box.press("Enter")]);
    assert.match(page.url(), new RegExp(`/${lang}/search\\?q=${typed}`));
    const hits = page.locator("article.hit");
    assert.ok((await hits.count()) > 0, `"${typed}" finds releases`);
    const first = hits.first();
    assert.match(await first.innerText(), expect);
    assert.ok((await first.locator("mark").count()) > 0, "the matched words are highlighted");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the results page overflows by ${overflow}px`);
    const folded = (await page.locator("details.search-filters").getAttribute("open")) === null;
    assert.equal(folded, viewport.width < 768, "filters fold on a phone, so results come first, and open on a desktop");
    await shoot(page, `search-${lang}-${viewport.width}`);
    await Promise.all([page.waitForURL(new RegExp(`/${lang}/releases/`)), first.locator("h3 a").click()]);
    assert.match(await page.locator("h1").innerText(), expect);
    await page.context().close();
  }
  // Filters work without JavaScript: a plain form submission narrows by kind.
  const page = await newPage(viewports.desktop, { javaScriptEnabled: false });
  await page.goto(`${demo.base}/en/search?q=water`);
  const all = await page.locator("article.hit").count();
  assert.ok(all > 1, "several releases mention water");
  const filters = page.locator("details.search-filters");
  assert.equal(await filters.getAttribute("open"), null, "without a filter set, the filters start folded");
  await filters.locator("summary").click();
  await page.locator(".search-filters input[name=kind]").first().check();
  await Promise.all([page.waitForURL(/kind=/), page.click(".search-filters button[type=submit]")]);
  const narrowed = await page.locator("article.hit").count();
  assert.ok(narrowed > 0 && narrowed <= all, `the kind filter narrows ${all} to ${narrowed}`);
  assert.notEqual(await page.locator("details.search-filters").getAttribute("open"), null, "a set filter stays in view");
  await page.context().close();
});

test("the press service: draft, submit, approve by another person, schedule, withdraw", async () => {
  const author = await newPage();
  await signIn(author, "author");
  await author.click("text=New release");
  await author.selectOption("#kind", "press-release");
  await author.selectOption("#lang", "en");
  const title = `Browser journey ${Date.now()}`;
  await author.fill("#title", title);
  await author.fill("#lead", "Written in a real browser.");
  await author.fill("#body", "The ministry **tested** its publishing system.");
  await author.click("button:has-text('Save draft')");
  await author.waitForSelector("text=Done: created");
  const editorUrl = author.url().split("?")[0];
  await author.click("button:has-text('Submit for review')");
  await author.waitForSelector("text=Done: submit");

  const editor = await newPage();
  await signIn(editor, "editor");
  await editor.click(`text=${title}`);
  await editor.click("button:has-text('Approve and publish')");
  await editor.waitForSelector("text=Done: approve_publish");
  const number = (await editor.locator("p.meta").innerText()).match(/No:(\d+)\/(\d+)/);
  assert.ok(number, "the release got its number");
  const publicLink = await editor.locator("a:has-text('Public page')").getAttribute("href");
  await editor.goto(`${demo.base}${publicLink}`);
  assert.equal(await editor.locator("h1").innerText(), title);
  assert.match(await editor.locator("p.number").innerText(), new RegExp(`No:${number[1]}/`));

  // A second release, scheduled a few seconds ahead, appears without anyone acting.
  await author.goto(`${demo.base}/admin/releases/new`);
  const later = `Scheduled journey ${Date.now()}`;
  await author.selectOption("#lang", "en");
  await author.fill("#title", later);
  await author.fill("#body", "Goes out on its own.");
  await author.click("button:has-text('Save draft')");
  await author.click("button:has-text('Submit for review')");
  await editor.goto(`${demo.base}/admin/`);
  await editor.click(`text=${later}`);
  await editor.fill("#publish_at", siteTime(4));
  await editor.click("button:has-text('Approve and schedule')");
  await editor.waitForSelector("text=Done: approve_schedule");
  let appeared = false;
  for (let i = 0; i < 30 && !appeared; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const listing = await (await editor.request.get(`${demo.base}/en/releases/`)).text();
    appeared = listing.includes(later);
  }
  assert.ok(appeared, "the scheduled release appeared on the public listing by itself");

  // Withdraw the first one.
  await editor.goto(editorUrl);
  await editor.click("summary:has-text('Withdraw')");
  await editor.fill("#explanation", "Published to test the browser journey.");
  editor.once("dialog", (d) => d.accept());
  await editor.click("button.danger:has-text('Withdraw')");
  await editor.waitForSelector("text=Done: withdraw");
  await editor.goto(`${demo.base}${publicLink}`);
  assert.match(await editor.locator(".notice.withdrawn").innerText(), /Published to test the browser journey/);
  await author.context().close();
  await editor.context().close();
});

/** A photo-like JPEG made in the browser: sky, sea and a sun, 1800×1200. */
async function makeJpeg(page) {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement("canvas");
    c.width = 1800;
    c.height = 1200;
    const g = c.getContext("2d");
    const sky = g.createLinearGradient(0, 0, 0, 700);
    sky.addColorStop(0, "#3a6ea5");
    sky.addColorStop(1, "#cfe3f5");
    g.fillStyle = sky;
    g.fillRect(0, 0, 1800, 700);
    const sea = g.createLinearGradient(0, 700, 0, 1200);
    sea.addColorStop(0, "#1f5f7a");
    sea.addColorStop(1, "#0b2f40");
    g.fillStyle = sea;
    g.fillRect(0, 700, 1800, 500);
    g.fillStyle = "#ffd166";
    g.beginPath();
    g.arc(1350, 420, 120, 0, Math.PI * 2);
    g.fill();
    return c.toDataURL("image/jpeg", 0.9);
  });
  return Buffer.from(dataUrl.split(",")[1], "base64");
}

test("a banner: upload with a focal point, describe it, publish; phones load the mobile crop", async () => {
  const author = await newPage();
  await signIn(author, "author");
  await author.goto(`${demo.base}/admin/releases/new`);
  const title = `Banner journey ${Date.now()}`;
  await author.selectOption("#lang", "en");
  await author.fill("#title", title);
  await author.fill("#body", "A release with a picture.");
  await author.click("button:has-text('Save draft')");
  await author.waitForSelector("text=Done: created");
  const jpeg = await makeJpeg(author);
  await author.setInputFiles("#banner-image", { name: "coast.jpg", mimeType: "image/jpeg", buffer: jpeg });
  await author.waitForSelector(".crop-preview:not([hidden])");
  const box = await author.locator("#focal-source").boundingBox();
  await author.mouse.click(box.x + box.width * 0.75, box.y + box.height * 0.35);
  assert.equal(await author.inputValue("#focal_x"), "75", "a click sets the focal point");
  await author.fill("#new-banner-alt", "The sun over the Amber Sea at dusk");
  await author.click("button:has-text('Upload banner')");
  await author.waitForSelector("text=Done: banner");
  await author.click("button:has-text('Submit for review')");
  const editor = await newPage();
  await signIn(editor, "editor");
  await editor.click(`text=${title}`);
  await editor.click("button:has-text('Approve and publish')");
  await editor.waitForSelector("text=Done: approve_publish");
  const url = `${demo.base}${await editor.locator("a:has-text('Public page')").getAttribute("href")}`;
  const phone = await newPage(viewports.phone);
  await phone.goto(url);
  const img = phone.locator("picture img");
  await img.evaluate((el) => el.decode());
  assert.match(await img.evaluate((el) => el.currentSrc), /\/mobile-\d+\.(webp|jpg)$/, "a phone loads the mobile crop");
  assert.equal(await img.getAttribute("alt"), "The sun over the Amber Sea at dusk");
  const desktop = await newPage(viewports.desktop);
  await desktop.goto(url);
  await desktop.locator("picture img").evaluate((el) => el.decode());
  assert.match(await desktop.locator("picture img").evaluate((el) => el.currentSrc), /\/desktop-\d+\.(webp|jpg)$/);
  // The newest release is featured on the home page with its banner.
  await phone.goto(`${demo.base}/en/`);
  const featured = phone.locator(".featured-section picture img");
  await featured.evaluate((el) => el.decode());
  assert.match(await featured.evaluate((el) => el.currentSrc), /\/mobile-\d+\.(webp|jpg)$/, "the home page features the banner");
  await shoot(phone, "home-featured-banner-phone");
  await phone.goto(url);
  for (const [name, page] of [["release-banner-phone", phone], ["release-banner-desktop", desktop]]) {
    assert.deepEqual(await axe(page), [], `${name} has no axe violations`);
    await shoot(page, name);
  }
  for (const p of [author, editor, phone, desktop]) await p.context().close();
});

test("keyboard only: sign in, draft and submit with visible focus", async () => {
  const page = await newPage();
  await page.goto(`${demo.base}/admin/login`);
  const tabTo = async (predicate, what) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press("Tab");
      if (await page.evaluate(predicate)) return;
    }
    assert.fail(`could not reach ${what} with Tab`);
  };
  const focusVisible = () =>
    page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
    });
  await tabTo(() => document.activeElement.id === "username", "the username");
  assert.ok(await focusVisible(), "focus is visible on the username field");
  await page.keyboard.type("author");
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await Promise.all([page.waitForURL(/\/admin\/$/), page.keyboard.press("Enter")]);
  await tabTo(() => document.activeElement.textContent === "New release", "New release");
  assert.ok(await focusVisible(), "focus is visible on links");
  await Promise.all([page.waitForURL(/releases\/new/), page.keyboard.press("Enter")]);
  await tabTo(() => document.activeElement.id === "title", "the headline");
  await page.keyboard.type("Typed with the keyboard only");
  await tabTo(() => document.activeElement.id === "body", "the body");
  await page.keyboard.type("Every step without a mouse.");
  await tabTo(() => document.activeElement.textContent === "Save draft", "Save draft");
  await Promise.all([page.waitForURL(/done=created/), page.keyboard.press("Enter")]);
  await tabTo(() => document.activeElement.textContent === "Submit for review", "Submit for review");
  assert.ok(await focusVisible(), "focus is visible on buttons");
  await Promise.all([page.waitForURL(/done=submit/), page.keyboard.press("Enter")]);
  assert.match(await page.locator("p.meta").innerText(), /submitted/);
  await page.context().close();
});

test("every page type: no axe violations in both viewports, valid HTML, screenshots", async () => {
  const page = await newPage();
  const release = await releaseLink(page, "en", /Answer of the press service/);
  const withdrawn = await releaseLink(page, "en", /Withdrawn/);
  const publicPages = {
    home: "/en/", "home-az": "/az/", listing: "/en/releases/", year: "/en/releases/2026/", month: "/en/releases/2026/06/",
    topic: "/en/topics/fisheries/", release, withdrawn, page: "/en/pages/privacy", verify: "/en/verify", "not-found": "/en/nowhere",
    search: "/en/search?q=water", "search-az": "/az/search?q=z%C9%99rin%C3%A7ay&kind=press-release", "search-empty": "/en/search",
  };
  await signIn(page, "admin");
  const editorUrl = await page.locator("main table a").first().getAttribute("href");
  const translationId = editorUrl.split("/").pop();
  const adminPages = {
    "admin-dashboard": "/admin/", "admin-releases": "/admin/releases", "admin-releases-search": "/admin/releases?q=water", "admin-new": "/admin/releases/new",
    "admin-editor": editorUrl, "admin-history": `${editorUrl}/history`, "admin-audit": "/admin/audit",
    "admin-users": "/admin/users", "admin-tokens": "/admin/tokens", "admin-settings": "/admin/settings",
    "admin-pages": "/admin/pages", "admin-page-edit": "/admin/pages/privacy/en", "admin-account": "/admin/account",
    "admin-webhooks": "/admin/webhooks", "admin-deliveries": "/admin/deliveries",
  };
  const dir = mkdtempSync(join(tmpdir(), "pressroom-vnu-"));
  const files = [];
  const problems = [];
  for (const [name, path] of Object.entries({ ...publicPages, ...adminPages })) {
    const response = await page.request.get(`${demo.base}${path}`);
    files.push(saveHtml(dir, name, await response.text()));
    for (const [size, viewport] of Object.entries(viewports)) {
      await page.setViewportSize(viewport);
      await page.goto(`${demo.base}${path}`);
      for (const v of await axe(page)) problems.push(`${name} (${size}): ${v}`);
      await shoot(page, `${name}-${size}`);
    }
  }
  const login = await newPage();
  await login.goto(`${demo.base}/admin/login`);
  files.push(saveHtml(dir, "admin-login", await (await login.request.get(`${demo.base}/admin/login`)).text()));
  for (const v of await axe(login)) problems.push(`admin-login: ${v}`);
  await shoot(login, "admin-login-desktop");
  await login.context().close();
  assert.deepEqual(problems, [], `axe found violations:\n${problems.join("\n")}`);
  const report = validate(files);
  assert.equal(report, "", `the Nu HTML Checker found errors:\n${report}`);
  assert.ok(translationId);
  await page.context().close();
});
