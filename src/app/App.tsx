import { lazy, Suspense, useEffect, useState } from 'react';
import { Banners } from './components/Banners';
import { ChatView } from './components/ChatView';
import { Composer } from './components/Composer';
import { DropZone } from './components/DropZone';
import { ModelStatus } from './components/ModelStatus';
import { SettingsDialog } from './components/SettingsDialog';
import { Sidebar } from './components/Sidebar';
import { Toasts } from './components/Toasts';
import { modelStore, startModel } from './controller/model-controller';
import { useApp } from './store';

// The model panel (src/app/model-panel) is its own module: loaded when Settings first opens.
const ModelPanel = lazy(() => import('./model-panel/ModelPanel').then((m) => ({ default: m.ModelPanel })));

function useTheme(): void {
  const theme = useApp((s) => s.settings.theme);
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', theme);
  }, [theme]);
}

export function App() {
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  useTheme();
  return (
    <div className="app">
      <Sidebar open={sidebarOpen} onClose={() => setSidebarOpen(false)} />
      <main className="main">
        <header className="topbar">
          <button type="button" className="icon-btn menu-btn" aria-label="Conversations" aria-expanded={sidebarOpen} onClick={() => setSidebarOpen(!sidebarOpen)}>
            ☰
          </button>
          <h1 className="brand">PandaGPT</h1>
          <ModelStatus />
          <button type="button" className="icon-btn" aria-label="Settings" onClick={() => setSettingsOpen(true)} data-testid="open-settings">
            ⚙
          </button>
        </header>
        <Banners />
        <ChatView />
        <Composer />
      </main>
      <SettingsDialog
        open={settingsOpen}
        onClose={() => setSettingsOpen(false)}
        modelPanel={
          settingsOpen && (
            <Suspense fallback={<p className="muted">Loading…</p>}>
              <ModelPanel store={modelStore()} onPrepared={(_bundle, source) => void startModel(source)} />
            </Suspense>
          )
        }
      />
      <DropZone />
      <Toasts />
    </div>
  );
}
