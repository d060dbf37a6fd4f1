// Python's datetime.strftime in the C locale (what transformers' strftime_now
// returns to a chat template: `datetime.now().strftime(format)`), for the codes
// chat templates use: %a %A %b %B %d %e %H %I %j %m %M %p %S %y %Y %%, with
// glibc's "-" flag for no padding (%-d). Other codes are copied through as glibc
// does with conversions it does not know.

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function dayOfYear(date: Date): number {
  const start = new Date(date.getFullYear(), 0, 1);
  const utc = Date.UTC(date.getFullYear(), date.getMonth(), date.getDate()) - Date.UTC(start.getFullYear(), 0, 1);
  return utc / 86_400_000 + 1;
}

/** The value of one conversion (local time) and its width when zero-padded; undefined when unknown. */
function field(code: string, date: Date): { text: string; width: number } | undefined {
  const hour = date.getHours();
  switch (code) {
    case "a":
      return { text: DAYS[date.getDay()]!.slice(0, 3), width: 0 };
    case "A":
      return { text: DAYS[date.getDay()]!, width: 0 };
    case "b":
      return { text: MONTHS[date.getMonth()]!.slice(0, 3), width: 0 };
    case "B":
      return { text: MONTHS[date.getMonth()]!, width: 0 };
    case "d":
      return { text: String(date.getDate()), width: 2 };
    case "e":
      return { text: String(date.getDate()).padStart(2, " "), width: 0 };
    case "H":
      return { text: String(hour), width: 2 };
    case "I":
      return { text: String(hour % 12 === 0 ? 12 : hour % 12), width: 2 };
    case "j":
      return { text: String(dayOfYear(date)), width: 3 };
    case "m":
      return { text: String(date.getMonth() + 1), width: 2 };
    case "M":
      return { text: String(date.getMinutes()), width: 2 };
    case "p":
      return { text: hour < 12 ? "AM" : "PM", width: 0 };
    case "S":
      return { text: String(date.getSeconds()), width: 2 };
    case "y":
      return { text: String(date.getFullYear() % 100), width: 2 };
    case "Y":
      return { text: String(date.getFullYear()), width: 0 };
    case "%":
      return { text: "%", width: 0 };
    default:
      return undefined;
  }
}

export function strftime(date: Date, format: string): string {
  return format.replace(/%(-?)(.)/gsu, (whole, noPad: string, code: string) => {
    const f = field(code, date);
    if (f === undefined) return whole;
    if (noPad === "-") return code === "e" ? f.text.trimStart() : f.text;
    return f.text.padStart(f.width, "0");
  });
}
