import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import { connectToMain } from './store/connect-main.ts';
import './styles/base.css';
import './styles/layout.css';
import './styles/deploy.css';
import './styles/session.css';
import './styles/history.css';
import './styles/after-commit.css';

// Before the first render, so no run event or menu command is missed.
connectToMain();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
