/**
 * Brings an element into view once each time `key` changes to a new non-null value (a new run),
 * when its top is not already on screen: on a phone the answer sits below the question box, out
 * of sight when Ask is pressed. Only once per key, never while the text streams in, so the page
 * does not jump under a person who is scrolling; a smooth scroll yields to their own.
 */
import { useEffect, type RefObject } from 'react';

export function useBringIntoViewOnStart(ref: RefObject<HTMLElement | null>, key: number | null): void {
  useEffect(() => {
    const element = ref.current;
    if (key === null || !element) return;
    const { top } = element.getBoundingClientRect();
    // Its start is already in view (the usual case on a wide screen): leave the page alone.
    if (top >= 0 && top < window.innerHeight * 0.75) return;
    const reduced = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    element.scrollIntoView({ block: 'start', behavior: reduced ? 'auto' : 'smooth' });
  }, [ref, key]);
}
