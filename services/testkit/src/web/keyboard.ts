// Keyboard-only paths: move focus with Tab the way a person without a mouse does.
import type { Page } from 'playwright-core';

/** Presses Tab until the element with `testid` has focus; fails after `max` presses. */
export async function tabTo(page: Page, testid: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((id) => document.activeElement?.getAttribute('data-testid') === id, testid)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached [data-testid="${testid}"] in ${max} presses`);
}

/** Whether the focused element shows a visible focus indicator (an outline or a box shadow). */
export function focusVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el) return false;
    const s = getComputedStyle(el);
    return (s.outlineStyle !== 'none' && s.outlineWidth !== '0px') || s.boxShadow !== 'none';
  });
}
