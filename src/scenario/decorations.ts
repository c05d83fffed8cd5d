// A run's results in the script itself: `✓ 12 ms` or `✗ 5003 ms` after each step's action line
// (steps not run get nothing). They describe the text that ran, so any edit of that script
// clears them; they come back on the editors that show the script until then.

import * as vscode from 'vscode';
import type { JsonReport } from '../../sandbox/scenario/report';

/** One step's mark: its action line (1-based), the text shown, and whether it passed. */
export interface StepMark {
  line: number;
  text: string;
  passed: boolean;
}

const MARK = { pass: '✓', fail: '✗' } as const;

export class StepResultDecorations implements vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', fontStyle: 'normal' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  /** By document URI (string). */
  private readonly marks = new Map<string, StepMark[]>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    vscode.workspace.onDidChangeTextDocument(
      (e) => {
        if (e.contentChanges.length && this.marks.delete(e.document.uri.toString())) this.paint(e.document.uri);
      },
      null,
      this.disposables,
    );
    vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((ed) => this.paintEditor(ed)), null, this.disposables);
  }

  /** Shows a run's results on the scripts it ran (replacing their earlier marks). */
  show(report: JsonReport): void {
    for (const s of report.scripts) {
      const uri = vscode.Uri.file(s.file);
      const marks = s.steps.flatMap((step): StepMark[] => (step.status === 'skip' ? [] : [{ line: step.line, text: `${MARK[step.status]} ${step.durationMs} ms`, passed: step.status === 'pass' }]));
      this.marks.set(uri.toString(), marks);
      this.paint(uri);
    }
  }

  /** The marks a script shows now (none after an edit). */
  current(uri: vscode.Uri): readonly StepMark[] {
    return this.marks.get(uri.toString()) ?? [];
  }

  private paint(uri: vscode.Uri): void {
    for (const ed of vscode.window.visibleTextEditors) if (ed.document.uri.toString() === uri.toString()) this.paintEditor(ed);
  }

  private paintEditor(editor: vscode.TextEditor): void {
    const doc = editor.document;
    const options = this.current(doc.uri)
      .filter((m) => m.line <= doc.lineCount)
      .map((m): vscode.DecorationOptions => {
        const end = doc.lineAt(m.line - 1).range.end;
        return {
          range: new vscode.Range(end, end),
          renderOptions: { after: { contentText: m.text, color: new vscode.ThemeColor(m.passed ? 'testing.iconPassed' : 'testing.iconFailed') } },
        };
      });
    editor.setDecorations(this.type, options);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.type.dispose();
  }
}
