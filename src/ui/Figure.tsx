/** One labelled number of a totals panel, its value readable by tests as `data-value`. */
export function Figure({
  label,
  testId,
  value,
  note,
}: {
  label: string;
  testId: string;
  value: number;
  note?: string;
}) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <span data-testid={testId} data-value={value}>
          {value}
        </span>
        {note && <span className="muted"> {note}</span>}
      </dd>
    </div>
  );
}
