/**
 * Makes the whole page a drop target and listens for pasted images anywhere. Dropped or
 * pasted files go to the store; a dragged image from another page arrives as its address.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useAppStore } from '../state/index.ts';

const isEditable = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));

const carriesImage = (transfer: DataTransfer | null): boolean =>
  transfer !== null && (transfer.types.includes('Files') || transfer.types.includes('text/uri-list'));

const firstFile = (transfer: DataTransfer | null): File | null => transfer?.files[0] ?? null;

export function PageDropTarget({ children }: { children: ReactNode }) {
  const openImage = useAppStore((s) => s.openImage);
  const openImageUrl = useAppStore((s) => s.openImageUrl);
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);

  useEffect(() => {
    const onDragEnter = (event: DragEvent): void => {
      if (!carriesImage(event.dataTransfer)) return;
      event.preventDefault();
      depth.current += 1;
      setDragging(true);
    };
    const onDragOver = (event: DragEvent): void => {
      if (!carriesImage(event.dataTransfer)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const onDragLeave = (): void => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    };
    const onDrop = (event: DragEvent): void => {
      depth.current = 0;
      setDragging(false);
      const file = firstFile(event.dataTransfer);
      if (file) {
        event.preventDefault();
        openImage(file, file.name || 'dropped image', 'drop');
        return;
      }
      const uri = event.dataTransfer?.getData('text/uri-list').split('\n')[0]?.trim();
      if (uri) {
        event.preventDefault();
        void openImageUrl(uri);
      }
    };
    const onPaste = (event: ClipboardEvent): void => {
      const file = firstFile(event.clipboardData);
      if (file) {
        event.preventDefault();
        openImage(file, file.name || 'pasted image', 'paste');
        return;
      }
      // Text pasted into a field stays text; pasted elsewhere, an image address is opened.
      const text = event.clipboardData?.getData('text/plain').trim() ?? '';
      if (!isEditable(event.target) && /^https?:\/\//i.test(text)) {
        event.preventDefault();
        void openImageUrl(text);
      }
    };
    document.addEventListener('dragenter', onDragEnter);
    document.addEventListener('dragover', onDragOver);
    document.addEventListener('dragleave', onDragLeave);
    document.addEventListener('drop', onDrop);
    document.addEventListener('paste', onPaste);
    return () => {
      document.removeEventListener('dragenter', onDragEnter);
      document.removeEventListener('dragover', onDragOver);
      document.removeEventListener('dragleave', onDragLeave);
      document.removeEventListener('drop', onDrop);
      document.removeEventListener('paste', onPaste);
    };
  }, [openImage, openImageUrl]);

  return (
    <>
      {children}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <p>Drop the image to open it</p>
        </div>
      )}
    </>
  );
}
