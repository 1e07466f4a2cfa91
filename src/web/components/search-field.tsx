/** @jsxImportSource react */

export interface SearchFieldProps {
  id: string;
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
}

/** A labelled search box (`/` focuses it: the page's keys know its id). */
export function SearchField({ id, label, placeholder, value, onChange }: SearchFieldProps) {
  return (
    <label>
      <span className="label">{label}</span>
      <input
        id={id}
        type="search"
        placeholder={placeholder}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </label>
  );
}
