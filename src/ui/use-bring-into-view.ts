/**
 * Brings an element into view once each time `key` changes to a new non-null value (a new run, a
 * new error),
 * when its top is not already on screen: on a phone the answer sits below the question box, out
 * of sight when Ask is pressed. Only once per key and at once, never while the text streams in:
 * a smooth scroll still running could fight a person who scrolls right away, so the page moves
 * when they press Ask and never again under them.
 */
import { useEffect, type RefObject } from 'react';

export function useBringIntoViewOnStart(ref: RefObject<HTMLElement | null>, key: number | null): void {
  useEffect(() => {
    const element = ref.current;
    if (key === null || !element) return;
    const { top } = element.getBoundingClientRect();
    // Its start is already in view (the usual case on a wide screen): leave the page alone.
    if (top >= 0 && top < window.innerHeight * 0.75) return;
    element.scrollIntoView({ block: 'start', behavior: 'instant' });
  }, [ref, key]);
}
