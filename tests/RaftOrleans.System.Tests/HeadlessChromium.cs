using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace RaftOrleans.System.Tests;

/// <summary>Debian's chromium, headless, through Debian's chromium-driver: both found on PATH (installed by
/// .ci/observe.sh), never fetched. A missing browser fails the test that needs it; it does not skip.</summary>
public static class HeadlessChromium
{
    public static ChromeDriver Start()
    {
        var browser = FindOnPath("chromium") ?? FindOnPath("chromium-browser")
            ?? throw new Xunit.Sdk.XunitException("chromium is not installed: install Debian's chromium and chromium-driver (bash .ci/observe.sh)");
        var driver = FindOnPath("chromedriver")
            ?? throw new Xunit.Sdk.XunitException("chromedriver is not installed: install Debian's chromium-driver (bash .ci/observe.sh)");
        // The driver named explicitly, so Selenium Manager never looks for (or downloads) one of its own.
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driver)!, Path.GetFileName(driver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = browser };
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,860",
            "--no-first-run", "--disable-extensions", "--disable-background-networking");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
}
