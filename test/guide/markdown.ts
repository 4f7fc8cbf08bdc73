/**
 * The code blocks of a guide in docs/, with what their info string says about them:
 * ```ts file=app/features/notes/index.ts   a whole file, as the reader writes it
 * ```ts excerpt=app/features/index.ts      lines the reader adds to that file (`remove`: deletes)
 * ```sh run                                commands, each followed by its output as `# ` lines
 */
export interface CodeBlock {
  lang: string;
  attrs: Record<string, string | true>;
  code: string;
  /** The number of the `## N.` step it is under (0 before the first). */
  step: number;
  /** Its opening fence's line in the guide (1-based), for messages. */
  line: number;
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  let step = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const heading = /^## (\d+)\./.exec(line);
    if (heading) step = Number(heading[1]);
    const open = /^```(\S*)(.*)$/.exec(line);
    if (!open) continue;
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`unclosed code block at line ${i + 1}`);
    const attrs: Record<string, string | true> = {};
    for (const token of (open[2] ?? "").trim().split(/\s+/).filter(Boolean)) {
      const eq = token.indexOf("=");
      if (eq < 0) attrs[token] = true;
      else attrs[token.slice(0, eq)] = token.slice(eq + 1);
    }
    blocks.push({
      lang: open[1] ?? "",
      attrs,
      code: `${lines.slice(i + 1, end).join("\n")}\n`,
      step,
      line: i + 1,
    });
    i = end;
  }
  return blocks;
}

/** The files the guide has the reader write, as they stand after step `step`. */
export function filesAfter(blocks: CodeBlock[], step: number): Map<string, string> {
  const files = new Map<string, string>();
  for (const block of blocks) {
    if (typeof block.attrs.file === "string" && block.step <= step) {
      files.set(block.attrs.file, block.code);
    }
  }
  return files;
}

export interface Command {
  command: string;
  /** Its output, as the `# ` lines after it say. */
  output: string;
}

/** The commands of a ```sh run block and the output each is said to print. */
export function commandsOf(block: CodeBlock): Command[] {
  const commands: Command[] = [];
  for (const line of block.code.trimEnd().split("\n")) {
    const last = commands.at(-1);
    if (line.startsWith("# ") && last) last.output += `${line.slice(2)}\n`;
    else commands.push({ command: line, output: "" });
  }
  return commands;
}
