/** Keyset pagination: "newer" walks back the cursors already seen, "older" follows nextCursor. */
export function Pager({
  page,
  hasNext,
  onPrev,
  onNext,
}: {
  page: number;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
}) {
  return (
    <div className="pager">
      <button type="button" data-testid="page-prev" disabled={page === 0} onClick={onPrev}>
        ← Newer
      </button>
      <span data-testid="page-number">page {page + 1}</span>
      <button type="button" data-testid="page-next" disabled={!hasNext} onClick={onNext}>
        Older →
      </button>
    </div>
  );
}
