// The prompt's tokens coloured by the probability the model gave each (on the
// surprisal scale of the pictures: pale = expected, red = surprising), with the
// alternatives on hover; and the next-token table after the last token — clean
// and, while heads are ablated, with the ablation and the change.

import type { PromptInspection } from "../../inspect/prompt-inspection.js";
import { surprisalColor, surprisalFill, textColorOn } from "../../inspect/pictures/colors.js";
import { displayToken } from "../../inspect/token-texts.js";
import { el, fill, hideTooltip, percent, quoted, showTooltip } from "./dom.js";
import { legendBar } from "./legend.js";

export function renderTokens(container: HTMLElement, current: PromptInspection, clean: PromptInspection | null): void {
  const { tokens, positions, texts, vocabSize } = current;
  const strip = el("div", { class: "tokens", attrs: { "data-testid": "tokens" } });
  tokens.forEach((token, t) => {
    const predicted = t > 0 ? positions[t - 1]!.next : undefined;
    const background = predicted === undefined ? "#e6e6e6" : surprisalFill(predicted.surprisalBits, vocabSize);
    strip.append(el("span", { class: "token", text: displayToken(token), attrs: { "data-position": t }, style: { background, color: textColorOn(background) } }));
  });
  strip.addEventListener("mousemove", (event) => {
    const target = (event.target as HTMLElement).closest<HTMLElement>(".token");
    if (target === null) return hideTooltip();
    const t = Number(target.dataset["position"]);
    const lines = [`position ${t}: ${quoted(tokens[t]!)}`];
    if (t === 0) lines.push("(nothing predicts the first token)");
    else {
      const next = positions[t - 1]!.next!;
      const before = clean?.positions[t - 1]?.next;
      lines.push(`p ${percent(next.probability)}, rank ${next.rank}, ${next.surprisalBits.toFixed(2)} bits`);
      if (clean !== null && before !== undefined) lines.push(`without the ablation: p ${percent(before.probability)}, rank ${before.rank}`);
      lines.push("the model expected:");
      for (const c of positions[t - 1]!.top) lines.push(`  ${percent(c.probability).padStart(6)}  ${quoted(texts[c.tokenId] ?? "")}`);
    }
    showTooltip(event, lines);
  });
  strip.addEventListener("mouseleave", hideTooltip);
  fill(container, strip, legendBar(surprisalColor, `probability the model gave each token: 1 → 1/${vocabSize}`, "expected", "surprising"));
}

/** The next-token table after the last token; with a clean run beside it, the change too. */
export function renderNextTokens(container: HTMLElement, current: PromptInspection, clean: PromptInspection | null): void {
  const last = current.positions[current.positions.length - 1]!;
  const cleanLast = clean?.positions[clean.positions.length - 1];
  const ids = [...new Set([...last.top.map((c) => c.tokenId), ...(cleanLast?.top.map((c) => c.tokenId) ?? [])])];
  const probability = (summary: typeof last | undefined, id: number) => summary?.top.find((c) => c.tokenId === id)?.probability;
  ids.sort((a, b) => (probability(cleanLast ?? last, b) ?? -1) - (probability(cleanLast ?? last, a) ?? -1));
  const texts = { ...(clean?.texts ?? {}), ...current.texts };
  const header = el("tr", {}, el("th", { text: "next token" }), ...(cleanLast === undefined ? [el("th", { text: "probability" })] : [el("th", { text: "clean" }), el("th", { text: "ablated" }), el("th", { text: "change" })]));
  const rows = ids.map((id) => {
    const now = probability(last, id);
    const cells = [el("td", { text: quoted(displayToken(texts[id] ?? "")) })];
    if (cleanLast === undefined) {
      cells.push(el("td", { class: "number" }, el("span", { class: "bar", style: { width: `${Math.round(120 * (now ?? 0))}px` } }), ` ${percent(now ?? 0)}`));
    } else {
      const before = probability(cleanLast, id);
      const change = now !== undefined && before !== undefined ? now - before : undefined;
      cells.push(
        el("td", { class: "number", text: before === undefined ? "—" : percent(before) }),
        el("td", { class: "number", text: now === undefined ? "—" : percent(now) }),
        el("td", { class: `number ${change === undefined ? "" : change >= 0 ? "up" : "down"}`, text: change === undefined ? "" : `${change >= 0 ? "+" : "−"}${percent(Math.abs(change))}` }),
      );
    }
    return el("tr", { attrs: { "data-token-id": id } }, ...cells);
  });
  fill(
    container,
    el("p", { class: "hint", text: `after ${quoted(displayToken(current.tokens[current.tokens.length - 1]!))} — entropy ${last.entropy.toFixed(2)} nats` }),
    el("table", { class: "next", attrs: { "data-testid": "next-tokens" } }, header, ...rows),
  );
}
